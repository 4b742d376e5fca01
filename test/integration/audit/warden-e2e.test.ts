import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runAuditCommand } from '../../../src/cli/audit-command.ts';
import { startRecordingUpstream } from '../../helpers/recording-upstream.ts';
import { rsyslogAvailable, startRsyslog, type RunningRsyslog } from '../../helpers/rsyslog.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { tempDir } from '../../unit/audit/spool-helpers.ts';
import { missing, tally } from './audit-harness.ts';

/**
 * End to end: audited tools/call exchanges through a running mcp-warden reach a file sink and a real
 * rsyslog over RELP, while rsyslog is killed (SIGKILL) and restarted; afterwards every sequence
 * number is at both, and the spool verifies. (The 10,000-call version, with mcp-warden
 * itself SIGKILLed, is the same shape; this run is kept to seconds.)
 */
describe('audit through a running mcp-warden', () => {
  let rsyslog: RunningRsyslog;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let warden: TestWarden | undefined;
  const dir = tempDir('warden-e2e-audit-');
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  before(async () => {
    assert.ok(rsyslogAvailable(), 'rsyslogd is not installed (scripts/apt-packages.txt)');
    rsyslog = await startRsyslog();
    upstream = await startRecordingUpstream();
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
    await rsyslog?.stop();
  });

  it('every exchange is one event at the file sink and at rsyslog (RELP), across a receiver kill -9', async () => {
    warden = await startTestWarden({
      upstreams: [{ name: 'rec', url: upstream.url, path: '/mcp' }],
      policy: { bundle: 'policies/', data: { tools: { echo: 'read', 'get-env': 'deny' } } },
      audit: {
        replica_id: 'e2e-1',
        spool: { dir: join(dir, 'spool'), fsync: 'batched', fsync_interval_ms: 20 },
        sinks: [
          { type: 'file', path: join(dir, 'audit.jsonl') },
          { type: 'syslog', name: 'relp', protocol: 'relp', port: rsyslog.ports.relp, batch_size: 100, retry: { initial_ms: 50, max_ms: 500 } },
        ],
      },
    });
    const call = async (id: number, tool: string) => {
      const res = await fetch(warden!.url('/mcp'), { method: 'POST', headers: { ...headers, 'user-agent': 'e2e-client/1' }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: { n: id, secret: 'do-not-log-me' } } }) });
      await res.arrayBuffer();
      return res.status;
    };
    const total = 300;
    const batch = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) await Promise.all(Array.from({ length: Math.min(10, to - i) }, (_, k) => call(i + k, 'echo')));
    };
    await batch(0, 100);
    await rsyslog.kill('SIGKILL');
    await batch(100, 200);
    await rsyslog.start();
    await batch(200, total);
    const denied = await call(9999, 'get-env');
    await warden.close(); // flushes the spool; the shippers get a moment to finish
    warden = undefined;

    const fileEvents = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const calls = fileEvents.filter((e) => e.api.operation === 'tools/call');
    assert.equal(calls.length, total + 1, 'one event per exchange');
    assert.ok(calls.every((e) => e.actor.user.uid === 'anonymous' && e.http_request.user_agent === 'e2e-client/1' && e.unmapped.mcp.upstream === 'rec'));
    const refused = calls.find((e) => e.api.request.data.tool === 'get-env');
    assert.equal(refused?.status, 'Failure', `get-env answered ${denied}`);
    assert.ok(!readFileSync(join(dir, 'audit.jsonl'), 'utf8').includes('do-not-log-me'), 'argument values never reach the audit trail');
    const last = Math.max(...fileEvents.map((e) => e.metadata.sequence as number));
    assert.deepEqual(missing(tally(fileEvents.map((e) => e.metadata.sequence as number)).unique, last), []);

    const got = await rsyslog.waitFor((m) => tally(m.filter((x) => x.input === 'relp').map((x) => Number(/ seq="(\d+)"/.exec(x.sd)?.[1]))).unique.size >= last, 30_000);
    const { unique, duplicates } = tally(got.filter((x) => x.input === 'relp').map((x) => Number(/ seq="(\d+)"/.exec(x.sd)?.[1])));
    assert.deepEqual(missing(unique, last), [], 'every sequence number reached rsyslog');
    process.stdout.write(`# e2e: ${total + 1} calls, ${last} events, RELP duplicates ${duplicates}\n`);

    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    assert.equal(await runAuditCommand(['verify', join(dir, 'spool')], out, out), 0, text);
  });
});
