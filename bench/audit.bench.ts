/**
 * Audit benchmarks (issue 6). Figures only; they never gate CI.
 *
 * 1. Spool append throughput, in process: N events appended as fast as the caller can, until they
 *    are all written, with fsync `batched` (every 50 ms) and `always` (group commit per write).
 *    Target: >= 20,000 events/s with batched fsync.
 * 2. Audit CPU per exchange, in process: a request and its response through a real Pipeline
 *    observed by audit with a file sink, minus the same without audit: the proxy thread's busy time
 *    (gathering facts, serialising them, the journal write) and the whole process's CPU (the
 *    audit thread reads the journal, writes the line, hashes, writes the spool and ships). One
 *    process and no network, so a busy machine disturbs it far less than the proxy figures below.
 * 3. Audited tools/call throughput through mcp-warden (its own process, autocannon load), in one
 *    run: audit off, file sink, RELP to a real rsyslog. Target: audit on costs < 10 %. The variants
 *    take turns for `--rounds` rounds and the median of each is reported, so that a burst of load
 *    from elsewhere on the machine does not land on one variant only. Also reported: the CPU time
 *    mcp-warden spent per request (from /proc, user + system, all threads and the sinks' shipping),
 *    and how much of it the proxy thread spent (the thread that serves MCP traffic; it sets
 *    throughput once saturated).
 *    With few connections the run is latency-bound: each answer waits for its event's journal
 *    write, and batches are small; throughput is what `--connections 64` shows, with the proxy
 *    saturated.
 *
 *   npm run bench -- audit [--events 50000] [--duration 5] [--connections 64] [--rounds 3] [--skip-proxy] [--receiver-nice]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { auditConfigSchema } from '../src/audit/audit-config.ts';
import { createAudit } from '../src/audit/create-audit.ts';
import { unlinkedEvent, type UnlinkedEvent } from '../src/audit/ocsf-event.ts';
import { Spool } from '../src/audit/spool/spool.ts';
import { REPO_ROOT, spawnChild, waitUntil, type ManagedChild } from '../test/helpers/child-process.ts';
import { rsyslogAvailable, startRsyslog } from '../test/helpers/rsyslog.ts';
import { tempDir } from '../test/unit/audit/spool-helpers.ts';
import { DECISION_NOTE } from '../src/pipeline/decision.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { PASS, type Stage } from '../src/pipeline/stage.ts';
import { ALICE, connection, ctxFor, decision } from '../test/unit/audit/contexts.ts';
import { checkOnce, loadTest, toolsCall, type LoadResult } from './lib/measure.ts';
import { startWardenProcess } from './lib/warden-process.ts';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'skip-proxy': { type: 'boolean', default: false },
    'receiver-nice': { type: 'boolean', default: false },
  },
  strict: true,
});
const log = (line: string) => process.stderr.write(`${line}\n`);

function event(i: number): UnlinkedEvent {
  return unlinkedEvent(
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
    for (let k = i; k < Math.min(n, i + 100); k++) spool.append(events[k] as UnlinkedEvent);
    await new Promise((r) => setImmediate(r));
  }
  await spool.drain();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = spool.totalBytes();
  await spool.close();
  return { eventsPerS: n / seconds, mbPerS: bytes / seconds / 1024 / 1024, bytesPerEvent: bytes / n };
}

type Measured = LoadResult & { cpuUsPerRequest: number; proxyThreadUsPerRequest: number; receiverUsPerRequest: number };

/** User + system CPU seconds from a /proc stat line (clock ticks of 10 ms). */
function statCpuSeconds(path: string): number {
  const fields = readFileSync(path, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** User + system CPU seconds a process (all its threads) has used so far (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : statCpuSeconds(`/proc/${pid}/stat`);
}

/** The same for a process's main thread alone: mcp-warden's proxy thread (its audit thread is another). */
function mainThreadCpuSeconds(pid: number | undefined): number {
  return pid === undefined ? Number.NaN : statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
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
  // The receiver stores messages in rsyslog's stock file format: the tests' JSON re-encoding of every
  // field would add ~10 µs of rsyslog CPU per message on the same two cores, the receiver's cost.
  const rsyslog = rsyslogAvailable() ? await startRsyslog({ output: 'stock' }) : undefined;
  // --receiver-nice: rsyslogd's threads at the lowest priority, a stand-in for a receiver on another
  // machine (it then takes CPU the proxy leaves idle, not CPU the proxy needs). Not the default.
  if (rsyslog !== undefined && opts['receiver-nice']) {
    const pid = readFileSync(join(rsyslog.dir, 'rsyslogd.pid'), 'utf8').trim();
    for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', '19', '-p', tid], { stdio: 'ignore' });
    log(`rsyslogd (${pid}) runs at nice 19 (--receiver-nice)`);
  }
  const dir = tempDir('warden-bench-audit-');
  // rsyslogd runs on the same two cores: its CPU is reported apart (a SIEM would not be on the proxy's machine).
  const receiverPid = () => (rsyslog ? Number(readFileSync(join(rsyslog.dir, 'rsyslogd.pid'), 'utf8').trim()) : undefined);
  const variants: { name: string; audit: (round: number) => Record<string, unknown> | undefined; receiver?: () => number | undefined }[] = [
    { name: 'audit off', audit: () => undefined },
    { name: 'audit: file sink', audit: (r) => ({ spool: { dir: join(dir, `spool-file-${r}`) }, sinks: [{ type: 'file', path: join(dir, `audit-${r}.jsonl`) }] }) },
    ...(rsyslog ? [{ name: 'audit: RELP (rsyslog)', audit: (r: number) => ({ spool: { dir: join(dir, `spool-relp-${r}`) }, sinks: [{ type: 'syslog', protocol: 'relp', port: rsyslog.ports.relp }] }), receiver: receiverPid }] : []),
  ];
  const body = toolsCall('small');
  const results = new Map<string, Measured[]>(variants.map((v) => [v.name, []]));
  try {
    for (let round = 1; round <= Number(opts.rounds); round++) {
      for (const v of variants) {
        const audit = v.audit(round);
        const warden = await startWardenProcess(`http://127.0.0.1:${port}/mcp`, audit ? { extra: { audit } } : {});
        try {
          await checkOnce(`${warden.origin}/mcp`, body, (t) => t.includes('"result"'));
          await loadTest(`${warden.origin}/mcp`, body, { connections, durationS: 1 }); // warm-up
          const receiver = v.receiver?.();
          const cpu0 = cpuSeconds(warden.pid);
          const proxyThread0 = mainThreadCpuSeconds(warden.pid);
          const receiver0 = cpuSeconds(receiver);
          const load = await loadTest(`${warden.origin}/mcp`, body, { connections, durationS });
          await new Promise((r) => setTimeout(r, 500)); // the sinks finish shipping what the load left
          const cpuUsPerRequest = ((cpuSeconds(warden.pid) - cpu0) / load.total) * 1e6;
          const proxyThreadUsPerRequest = ((mainThreadCpuSeconds(warden.pid) - proxyThread0) / load.total) * 1e6;
          const receiverUsPerRequest = ((cpuSeconds(receiver) - receiver0) / load.total) * 1e6;
          log(`  round ${round}, ${v.name}: ${load.requestsPerSecond.toFixed(0)} req/s, ${cpuUsPerRequest.toFixed(0)} µs CPU/request (proxy thread ${proxyThreadUsPerRequest.toFixed(0)})${receiver !== undefined ? `, receiver ${receiverUsPerRequest.toFixed(0)} µs CPU/request` : ''} (${durationS} s × ${connections} connections)`);
          results.get(v.name)?.push({ ...load, cpuUsPerRequest, proxyThreadUsPerRequest, receiverUsPerRequest });
        } finally {
          await warden.close();
        }
      }
    }
  } finally {
    await rsyslog?.stop();
    await upstream.stop(5_000);
  }
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
  const off = results.get('audit off') ?? [];
  const baseRps = median(off.map((m) => m.requestsPerSecond));
  const baseCpu = median(off.map((m) => m.cpuUsPerRequest));
  const pct = (x: number, base: number) => (base > 0 ? `${((x / base - 1) * 100).toFixed(1)} %` : '—');
  log(`\n| tools/call via mcp-warden (median of ${opts.rounds}, ${connections} connections) | req/s | vs audit off | range req/s | CPU µs/request | vs audit off | of which the proxy thread | receiver CPU µs/request | p50 ms | p99 ms | errors/non-2xx |`);
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, ms] of results) {
    const rps = ms.map((m) => m.requestsPerSecond);
    const cpu = median(ms.map((m) => m.cpuUsPerRequest));
    const receiver = median(ms.map((m) => m.receiverUsPerRequest));
    log(`| ${name} | ${median(rps).toFixed(0)} | ${pct(median(rps), baseRps)} | ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)} | ${cpu.toFixed(0)} | ${pct(cpu, baseCpu)} | ${median(ms.map((m) => m.proxyThreadUsPerRequest)).toFixed(0)} | ${Number.isNaN(receiver) ? '—' : receiver.toFixed(0)} | ${median(ms.map((m) => m.p50Ms))} | ${median(ms.map((m) => m.p99Ms))} | ${ms.reduce((a, m) => a + m.errors, 0)}/${ms.reduce((a, m) => a + m.non2xx, 0)} |`);
  }
  if (!rsyslog) log('(RELP row missing: rsyslogd is not installed)');
}

const allowEcho: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.notes.set(DECISION_NOTE, decision({ decisionId: ctx.decisionId })), PASS) };

/**
 * CPU per exchange (20 in flight at a time), with a file sink or with audit off: the proxy thread's
 * busy time (event-loop utilisation) and the whole process's CPU (both threads).
 */
async function exchangeCost(n: number, sink: 'off' | 'file'): Promise<{ proxyThreadUs: number; processUs: number }> {
  const dir = tempDir('warden-bench-exchange-');
  const audit = sink === 'off' ? undefined : await createAudit({ config: auditConfigSchema.parse({ spool: { dir: join(dir, 'spool') }, sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] }), logger: pino({ level: 'silent' }), baseDir: dir, replicaId: 'bench' });
  const pipeline = new Pipeline({ toServer: [allowEcho], toClient: [] }, audit ? [audit.observer] : []);
  const conn = connection();
  const one = async (i: number) => {
    const req = ctxFor({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${i}` } } }, 'to_server', conn);
    await pipeline.run(req);
    await pipeline.run(ctxFor({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `m${i}` }] } }, 'to_client', conn, req));
  };
  const settle = async () => {
    if (audit === undefined) return;
    await audit.waitForSink(0, await audit.drain(), 30_000);
  };
  const go = async (count: number) => {
    for (let i = 0; i < count; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => one(i + k)));
    await settle();
  };
  await go(2000); // warm-up
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  await go(n);
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  await audit?.close();
  return { proxyThreadUs: (elu.active * 1000) / n, processUs: (cpu.user + cpu.system) / n };
}

const n = Number(opts.events);
log(`audit CPU per exchange (request + response), in process, ${n / 2} exchanges, µs:`);
log('| audit | proxy thread busy µs/exchange | audit cost on the proxy thread | process CPU µs/exchange (both threads) | audit cost |');
log('|---|---|---|---|---|');
const offCost = await exchangeCost(n / 2, 'off');
log(`| off | ${offCost.proxyThreadUs.toFixed(1)} | — | ${offCost.processUs.toFixed(1)} | — |`);
const fileCost = await exchangeCost(n / 2, 'file');
log(`| file sink | ${fileCost.proxyThreadUs.toFixed(1)} | ${(fileCost.proxyThreadUs - offCost.proxyThreadUs).toFixed(1)} | ${fileCost.processUs.toFixed(1)} | ${(fileCost.processUs - offCost.processUs).toFixed(1)} |`);

log(`spool append, ${n} events:`);
log('| fsync | events/s | MB/s | bytes/event |');
log('|---|---|---|---|');
for (const fsync of ['batched', 'always'] as const) {
  const r = await spoolThroughput(n, fsync);
  log(`| ${fsync} | ${r.eventsPerS.toFixed(0)} | ${r.mbPerS.toFixed(1)} | ${r.bytesPerEvent.toFixed(0)} |`);
}
if (!opts['skip-proxy']) await proxyThroughput();
