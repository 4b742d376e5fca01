import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RelpConnection, RelpError } from '../../../src/audit/sinks/relp-client.ts';
import { rsyslogAvailable, startRsyslog, type RunningRsyslog } from '../../helpers/rsyslog.ts';

/** Resolves once every thread of `pid` is stopped (state T in /proc). */
async function stopped(pid: number): Promise<void> {
  const state = (tid: string) => /\) (\S)/.exec(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))?.[1];
  for (let i = 0; i < 200; i++) {
    if (readdirSync(`/proc/${pid}/task`).every((tid) => state(tid) === 'T')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`rsyslogd ${pid} did not stop`);
}

/** The RELP client against a real rsyslog (imrelp): frame lengths in bytes, and a receiver that stops answering. */
describe('RELP client against rsyslog', { skip: rsyslogAvailable() ? false : 'rsyslogd is not installed (.ci/run installs it)' }, () => {
  let rs: RunningRsyslog;
  before(async () => {
    rs = await startRsyslog();
  });
  after(async () => {
    await rs.stop();
  });

  it('a message with multi-byte characters is framed by its byte length and arrives whole', async () => {
    const conn = await RelpConnection.connect({ host: '127.0.0.1', port: rs.ports.relp, window: 8, timeoutMs: 5000 });
    const text = 'naïve café — 🔐 end';
    await conn.syslog(`<134>1 2026-11-21T00:00:00.000Z host app 1 utf8 - ${text}`);
    await conn.syslog('<134>1 2026-11-21T00:00:00.000Z host app 1 ascii - after');
    await conn.close();
    const got = await rs.waitFor((m) => m.some((x) => x.msgid === 'ascii'));
    assert.equal(got.find((x) => x.msgid === 'utf8')?.msg, text);
  });

  it('a receiver that stops answering fails the session after the timeout (reason timeout), not never', async () => {
    const conn = await RelpConnection.connect({ host: '127.0.0.1', port: rs.ports.relp, window: 8, timeoutMs: 400 });
    await conn.syslog('<134>1 2026-11-21T00:00:00.000Z host app 1 before - answered');
    const pid = Number(readFileSync(join(rs.dir, 'rsyslogd.pid'), 'utf8').trim());
    process.kill(pid, 'SIGSTOP');
    await stopped(pid); // a signal is delivered asynchronously: without this, rsyslog may still answer
    const started = performance.now();
    try {
      await assert.rejects(conn.syslog('<134>1 2026-11-21T00:00:00.000Z host app 1 stalled - never answered'), (err) => err instanceof RelpError && err.reason === 'timeout');
      const waited = performance.now() - started;
      assert.ok(waited >= 400 && waited < 3000, `failed after ${waited.toFixed(0)} ms`);
      assert.equal(conn.alive, false);
    } finally {
      process.kill(pid, 'SIGCONT');
      conn.destroy();
    }
  });
});
