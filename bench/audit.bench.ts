/**
 * Audit benchmarks (issue 6). Figures only; they never gate CI.
 *
 * 1. Spool append throughput, in process: N events appended as fast as the caller can, until they
 *    are all written, with fsync `batched` (every 50 ms) and `always` (group commit per write).
 *    Target: >= 20,000 events/s with batched fsync.
 * 2. Audited tools/call throughput through mcp-warden (its own process, autocannon load), in one
 *    run: audit off, file sink, RELP to a real rsyslog. Target: audit on costs < 10 %.
 *
 *   npm run bench -- audit [--events 50000] [--duration 5] [--connections 10] [--skip-proxy]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { toOcsf, type OcsfEvent } from '../src/audit/ocsf-event.ts';
import { Spool } from '../src/audit/spool/spool.ts';
import { REPO_ROOT, spawnChild, waitUntil, type ManagedChild } from '../test/helpers/child-process.ts';
import { rsyslogAvailable, startRsyslog } from '../test/helpers/rsyslog.ts';
import { tempDir } from '../test/unit/audit/spool-helpers.ts';
import { ALICE } from '../test/unit/audit/contexts.ts';
import { checkOnce, loadTest, toolsCall, type LoadResult } from './lib/measure.ts';
import { startWardenProcess } from './lib/warden-process.ts';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'skip-proxy': { type: 'boolean', default: false },
  },
  strict: true,
});
const log = (line: string) => process.stderr.write(`${line}\n`);

function event(i: number): OcsfEvent {
  return toOcsf(
    { source: 'exchange', eventCode: 'mcp.exchange', direction: 'to_server', messageKind: 'request', method: 'tools/call', tool: 'echo', jsonrpcId: i, principal: ALICE, clientIp: '127.0.0.1', userAgent: 'bench/1', transport: 'streamable-http', upstream: 'everything', sessionId: 'sess-bench', protocolVersion: '2025-11-25', argsDigest: `sha256:${'ab'.repeat(32)}`, startedAt: Date.now(), durationMs: 1.2, outcome: 'success', message: 'tools/call completed' },
    `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    Date.now(),
  );
}

async function spoolThroughput(n: number, fsync: 'batched' | 'always'): Promise<{ eventsPerS: number; mbPerS: number; bytesPerEvent: number }> {
  const spool = await Spool.open({ dir: tempDir('warden-bench-spool-'), segmentBytes: 16 * 1024 * 1024, maxBytes: 4 * 1024 * 1024 * 1024, fullPolicy: 'block', fsync, fsyncIntervalMs: 50, retentionMs: 0, replicaId: 'bench', logger: pino({ level: 'silent' }) });
  const events = Array.from({ length: n }, (_, i) => event(i));
  const start = process.hrtime.bigint();
  // Appends arrive as they would from requests: in bursts across event-loop turns.
  for (let i = 0; i < n; i += 100) {
    for (let k = i; k < Math.min(n, i + 100); k++) spool.append(events[k] as OcsfEvent);
    await new Promise((r) => setImmediate(r));
  }
  await spool.drain();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = spool.totalBytes();
  await spool.close();
  return { eventsPerS: n / seconds, mbPerS: bytes / seconds / 1024 / 1024, bytesPerEvent: bytes / n };
}

async function proxyThroughput(): Promise<void> {
  const durationS = Number(opts.duration);
  const connections = Number(opts.connections);
  const upstream: ManagedChild = spawnChild('fast upstream', process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'fixtures', 'fast-upstream.ts')], { env: { ...process.env, PORT: '0' } });
  let port = 0;
  await waitUntil(upstream, async () => {
    const m = /LISTENING (\d+)/.exec(upstream.output());
    if (m) port = Number(m[1]);
    return port !== 0;
  });
  const rsyslog = rsyslogAvailable() ? await startRsyslog() : undefined;
  const dir = tempDir('warden-bench-audit-');
  const variants: { name: string; audit: Record<string, unknown> | undefined }[] = [
    { name: 'audit off', audit: undefined },
    { name: 'audit: file sink', audit: { spool: { dir: join(dir, 'spool-file') }, sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] } },
    ...(rsyslog ? [{ name: 'audit: RELP (rsyslog)', audit: { spool: { dir: join(dir, 'spool-relp') }, sinks: [{ type: 'syslog', protocol: 'relp', port: rsyslog.ports.relp }] } }] : []),
  ];
  const body = toolsCall('small');
  const results: { name: string; load: LoadResult }[] = [];
  try {
    for (const v of variants) {
      const warden = await startWardenProcess(`http://127.0.0.1:${port}/mcp`, v.audit ? { extra: { audit: v.audit } } : {});
      try {
        await checkOnce(`${warden.origin}/mcp`, body, (t) => t.includes('"result"'));
        await loadTest(`${warden.origin}/mcp`, body, { connections, durationS: 1 }); // warm-up
        log(`  ${v.name}: ${durationS} s × ${connections} connections…`);
        results.push({ name: v.name, load: await loadTest(`${warden.origin}/mcp`, body, { connections, durationS }) });
      } finally {
        await warden.close();
      }
    }
  } finally {
    await rsyslog?.stop();
    await upstream.stop(5_000);
  }
  const base = results[0]?.load.requestsPerSecond ?? 0;
  log('\n| tools/call via mcp-warden | req/s | vs audit off | p50 ms | p99 ms | errors/non-2xx |');
  log('|---|---|---|---|---|---|');
  for (const r of results) log(`| ${r.name} | ${r.load.requestsPerSecond.toFixed(0)} | ${base > 0 ? `${((r.load.requestsPerSecond / base - 1) * 100).toFixed(1)} %` : '—'} | ${r.load.p50Ms} | ${r.load.p99Ms} | ${r.load.errors}/${r.load.non2xx} |`);
  if (!rsyslog) log('(RELP row missing: rsyslogd is not installed)');
}

const n = Number(opts.events);
log(`spool append, ${n} events:`);
log('| fsync | events/s | MB/s | bytes/event |');
log('|---|---|---|---|');
for (const fsync of ['batched', 'always'] as const) {
  const r = await spoolThroughput(n, fsync);
  log(`| ${fsync} | ${r.eventsPerS.toFixed(0)} | ${r.mbPerS.toFixed(1)} | ${r.bytesPerEvent.toFixed(0)} |`);
}
if (!opts['skip-proxy']) await proxyThroughput();
