import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runAuditCommand } from '../../../src/cli/audit-command.ts';
import { REPO_ROOT } from '../../helpers/child-process.ts';
import { startRecordingUpstream } from '../../helpers/recording-upstream.ts';
import { rsyslogAvailable, startRsyslog, type RunningRsyslog } from '../../helpers/rsyslog.ts';
import { readSpool, tempDir } from '../../unit/audit/spool-helpers.ts';
import { missing, tally } from './audit-harness.ts';
import { runCalls } from './call-load.ts';
import { HecReceiver, WebhookReceiver, type StoredEvent } from './siem-receivers.ts';
import { WardenProcess } from './warden-process.ts';

/**
 * The no-loss check, end to end: 10,000 audited tools/call requests through a real
 * `mcp-warden serve` process, with three sinks at once —
 * - RELP to a real rsyslog, which is SIGKILLed and restarted twice;
 * - Splunk HEC with indexer acknowledgement, to a node:http stand-in (Splunk cannot run here; see
 *   siem-receivers.ts), which is stopped — forgetting every batch it had not yet indexed — twice;
 * - an HTTP webhook that answers 503 (across the kill), then 429 with Retry-After, for a while;
 * and mcp-warden itself SIGKILLed once and restarted on the same spool directory (the client
 * retries what failed while it was down). Afterwards every sequence number 1..N of the spool, and
 * an event for each of the 10,000 calls, is at every receiver; duplicates are counted and printed.
 */
const TOTAL = 10_000;
const argsOf = (k: number) => ({ call: `no-loss-${k}` });
/** What the audit event must carry for call k: SHA-256 of the canonical arguments (one key: plain JSON). */
const digestOf = (k: number) => `sha256:${createHash('sha256').update(JSON.stringify(argsOf(k))).digest('hex')}`;

function relpEvents(rsyslog: RunningRsyslog): StoredEvent[] {
  return rsyslog
    .messages()
    .filter((m) => m.input === 'relp')
    .map((m) => ({ seq: Number(/ seq="(\d+)"/.exec(m.sd)?.[1]), event: JSON.parse(m.msg) as StoredEvent['event'] }));
}

/** The calls 0..total-1 that have no successful tools/call event with their id and argument digest. */
function callsWithoutEvent(events: readonly StoredEvent[], total: number): number[] {
  const seen = new Set<number>();
  for (const { event } of events) {
    const id = event.unmapped?.mcp?.jsonrpc_id;
    if (event.api?.operation === 'tools/call' && event.status === 'Success' && typeof id === 'number' && event.api.request?.data?.arguments_sha256 === digestOf(id)) seen.add(id);
  }
  const out: number[] = [];
  for (let k = 0; k < total; k++) if (!seen.has(k)) out.push(k);
  return out;
}

/** A failure message that names the first few, and how many, instead of printing thousands. */
function firstFew(list: readonly number[]): (number | string)[] {
  return list.length <= 10 ? [...list] : [...list.slice(0, 10), `… ${list.length} in all`];
}

describe('no loss: 10,000 audited calls through mcp-warden to RELP, Splunk HEC and a webhook, across outages and a kill -9', () => {
  let rsyslog: RunningRsyslog;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  const hec = new HecReceiver(randomUUID());
  const webhook = new WebhookReceiver();
  let warden: WardenProcess | undefined;
  const spoolDir = join(tempDir('warden-no-loss-'), 'spool');

  before(async () => {
    assert.ok(rsyslogAvailable(), 'rsyslogd is not installed (scripts/apt-packages.txt)');
    rsyslog = await startRsyslog();
    upstream = await startRecordingUpstream();
    await hec.start();
    await webhook.start();
  });
  after(async () => {
    await warden?.stop();
    await upstream?.close();
    await rsyslog?.stop();
    await hec.stop();
    await webhook.stop();
  });

  it('every sequence number and every call reaches each receiver; the spool verifies', async () => {
    const retry = { initial_ms: 50, max_ms: 1000 };
    warden = new WardenProcess({
      admin: { host: '127.0.0.1', port: 0 },
      upstreams: [{ name: 'rec', url: upstream.url, path: '/mcp' }],
      policy: { bundle: join(REPO_ROOT, 'policies'), data: { tools: { echo: 'read' } } },
      logging: { level: 'warn' },
      audit: {
        replica_id: 'no-loss',
        // Acknowledged segments are kept (retention) so that the test and `audit verify` can read the whole spool.
        spool: { dir: spoolDir, fsync: 'batched', fsync_interval_ms: 20, retention_ms: 3_600_000 },
        sinks: [
          { type: 'syslog', name: 'relp', protocol: 'relp', port: rsyslog.ports.relp, batch_size: 200, retry },
          { type: 'splunk_hec', name: 'hec', url: hec.url, token: hec.token, ack: true, ack_poll_ms: 20, ack_timeout_ms: 5000, batch_size: 200, retry },
          { type: 'webhook', name: 'webhook', url: `${webhook.url}/hook`, batch_size: 200, retry },
        ],
      },
    });
    const w = warden;
    await w.start();

    // The outages, each when so many calls have completed (the run is ~10,000 calls long).
    const script: [number, string, () => Promise<void> | void][] = [
      [800, 'webhook answers 503', () => void (webhook.mode = '503')],
      [1500, 'rsyslog SIGKILL', () => rsyslog.kill('SIGKILL')],
      [2300, 'rsyslog restarted', () => rsyslog.start()],
      [2800, 'HEC stopped', () => hec.stop()],
      [3600, 'HEC restarted', () => hec.start()],
      [4500, 'mcp-warden SIGKILL and restart', async () => (await w.kill9(), await w.start())],
      // After the restart, so that the process that got the 429 is the one whose wait is measured.
      [4600, 'webhook answers 429 Retry-After: 1', () => void (webhook.mode = '429')],
      [6000, 'rsyslog SIGKILL', () => rsyslog.kill('SIGKILL')],
      [6500, 'webhook answers 200', () => void (webhook.mode = 'ok')],
      [6800, 'rsyslog restarted', () => rsyslog.start()],
      [7500, 'HEC stopped', () => hec.stop()],
      [8300, 'HEC restarted', () => hec.start()],
    ];
    let completed = 0;
    let step = 0;
    let scriptError: unknown;
    const started = Date.now();
    const director = (async () => {
      while (step < script.length) {
        const [at, what, act] = script[step] as (typeof script)[number];
        if (completed >= at || completed >= TOTAL) {
          step++;
          process.stdout.write(`# ${((Date.now() - started) / 1000).toFixed(1)} s, ${completed} calls: ${what}\n`);
          await act();
        } else await new Promise((r) => setTimeout(r, 10));
      }
    })().catch((err: unknown) => (scriptError = err));
    const load = await runCalls({ url: () => `${w.origin}/mcp`, total: TOTAL, concurrency: 16, params: (k) => ({ name: 'echo', arguments: argsOf(k) }), onProgress: (c) => (completed = c) });
    await director;
    assert.equal(scriptError, undefined, String(scriptError));
    assert.equal(step, script.length, 'every outage happened');
    assert.equal(load.completed, TOTAL);
    process.stdout.write(`# ${TOTAL} calls in ${((Date.now() - started) / 1000).toFixed(1)} s; ${load.retries} retried attempts ${JSON.stringify(load.failuresByKind)}\n`);

    // The spool: sequence numbers 1..N, each once, across both processes (the restarted one continued the sequence).
    await new Promise((r) => setTimeout(r, 200));
    const spooled = readSpool(spoolDir) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const last = Math.max(...spooled.map((e) => e.metadata.sequence as number));
    const inSpool = tally(spooled.map((e) => e.metadata.sequence as number));
    assert.equal(inSpool.duplicates, 0, 'a sequence number is never assigned twice');
    assert.deepEqual(firstFew(missing(inSpool.unique, last)), [], 'the spool holds every sequence number');
    assert.ok(spooled.filter((e) => e.metadata.event_code === 'policy.bundle_loaded').length >= 2, 'both processes wrote to the one spool');
    assert.deepEqual(firstFew(callsWithoutEvent(spooled.map((event) => ({ seq: event.metadata.sequence as number, event })), TOTAL)), [], 'every call is in the spool');

    // Every receiver: all of 1..N (waiting for the sinks to catch up after the outages).
    const receivers: [string, () => StoredEvent[]][] = [
      ['RELP (rsyslog)', () => relpEvents(rsyslog)],
      ['Splunk HEC (indexed)', () => hec.stored],
      ['webhook', () => webhook.stored],
    ];
    const deadline = Date.now() + 45_000;
    for (const [name, events] of receivers) {
      let got = events();
      while (missing(tally(got.map((e) => e.seq)).unique, last).length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        got = events();
      }
      const { unique, duplicates } = tally(got.map((e) => e.seq));
      const gaps = missing(unique, last);
      assert.deepEqual(firstFew(gaps), [], `${name}: ${gaps.length} of ${last} sequence numbers missing\n${w.output().slice(-4000)}`);
      assert.deepEqual(firstFew(callsWithoutEvent(got, TOTAL)), [], `${name}: calls without an event`);
      process.stdout.write(`# ${name}: ${last} sequence numbers, all present; ${got.length} received, ${duplicates} duplicates\n`);
    }
    assert.ok(webhook.answered['503'] > 0 && webhook.answered['429'] > 0, `the webhook refused for a while ${JSON.stringify(webhook.answered)}`);
    assert.ok(webhook.waitsAfter429.length > 0 && webhook.waitsAfter429.every((ms) => ms >= 900), `after a 429 the sink waited for Retry-After: 1 (${webhook.waitsAfter429.join(', ')} ms)`);
    process.stdout.write(`# HEC: ${hec.posts} batches posted; webhook answers ${JSON.stringify(webhook.answered)}\n`);

    await w.stop();
    warden = undefined;
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    assert.equal(await runAuditCommand(['verify', spoolDir], out, out), 0, text);
  });
});
