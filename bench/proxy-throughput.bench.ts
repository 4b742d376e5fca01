/**
 * Proxy throughput and latency: tools/call directly against a fast upstream, through nginx (a plain
 * reverse proxy, the baseline) and through mcp-warden, in one run, for a ~100 B and a ~100 KB
 * result, plus the time to stream a 10 MB SSE reply. Prints a table with the ratios the issue sets
 * targets for (warden/nginx throughput on the small call, p50 added to a direct call). Figures
 * only: benchmarks do not gate CI. See docs/benchmarks.md.
 *
 *   npm run bench                         # all targets, 10 s per cell, 10 connections
 *   npm run bench -- --duration 3 --targets direct,nginx
 *   npm run bench -- --json bench/results/run.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, spawnChild, waitUntil, type ManagedChild } from '../test/helpers/child-process.ts';
import { checkOnce, loadTest, serialLatency, streamTime, toolsCall, type LatencyResult, type LoadResult, type StreamResult } from './lib/measure.ts';
import { startNginx } from './lib/nginx.ts';
import { startWardenProcess } from './lib/warden-process.ts';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    targets: { type: 'string', default: 'direct,nginx,node-passthrough,mcp-warden' },
    'latency-requests': { type: 'string', default: '2000' },
    'stream-mb': { type: 'string', default: '10' },
    'stream-runs': { type: 'string', default: '3' },
    'nginx-workers': { type: 'string', default: '1' },
    'warden-log-level': { type: 'string', default: 'warn' },
    'warden-extra': { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  console.log(`usage: npm run bench -- [--duration S] [--connections N] [--targets direct,nginx,node-passthrough,mcp-warden]
  [--latency-requests N] [--stream-mb MB] [--stream-runs N] [--nginx-workers N]
  [--warden-log-level LEVEL] [--warden-extra JSON] [--json FILE]`);
  process.exit(0);
}
const durationS = Number(opts.duration);
const connections = Number(opts.connections);
const latencyRequests = Number(opts['latency-requests']);
const streamMb = Number(opts['stream-mb']);
const streamRuns = Number(opts['stream-runs']);
const wanted = new Set(opts.targets!.split(',').map((t) => t.trim()));

interface Target {
  name: string;
  origin?: string;
  /** Why the target has no figures (not started, failed to start, wrong replies). */
  unavailable?: string;
  close?: () => Promise<void>;
}
interface Row {
  target: string;
  tool: string;
  load?: LoadResult;
  latency?: LatencyResult;
  error?: string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A fixture in bench/fixtures/ as its own process; it prints `LISTENING <port>`. */
async function startFixture(name: string, file: string, env: Record<string, string> = {}): Promise<{ managed: ManagedChild; origin: string }> {
  const managed = spawnChild(name, process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'fixtures', file)], { env: { ...process.env, ...env, PORT: '0' } });
  let port = 0;
  await waitUntil(managed, async () => {
    const match = /LISTENING (\d+)/.exec(managed.output());
    if (match) port = Number(match[1]);
    return port !== 0;
  });
  return { managed, origin: `http://127.0.0.1:${port}` };
}

const startUpstream = () => startFixture('fast upstream', 'fast-upstream.ts');

async function startTargets(upstreamOrigin: string): Promise<Target[]> {
  const targets: Target[] = [];
  if (wanted.has('direct')) targets.push({ name: 'direct', origin: upstreamOrigin });
  if (wanted.has('nginx')) {
    try {
      const nginx = await startNginx(upstreamOrigin, { workers: Number(opts['nginx-workers']) });
      targets.push({ name: 'nginx', origin: nginx.origin, close: () => nginx.close() });
    } catch (err) {
      targets.push({ name: 'nginx', unavailable: firstLine(err) });
    }
  }
  if (wanted.has('node-passthrough')) {
    const passthrough = await startFixture('node passthrough', 'node-passthrough.ts', { UPSTREAM: upstreamOrigin });
    targets.push({ name: 'node-passthrough', origin: passthrough.origin, close: () => passthrough.managed.stop() });
  }
  if (wanted.has('mcp-warden')) {
    try {
      const extra = opts['warden-extra'] ? (JSON.parse(opts['warden-extra']) as Record<string, unknown>) : undefined;
      const warden = await startWardenProcess(`${upstreamOrigin}/mcp`, { logLevel: opts['warden-log-level']!, ...(extra ? { extra } : {}) });
      targets.push({ name: 'mcp-warden', origin: warden.origin, close: () => warden.close() });
    } catch (err) {
      targets.push({ name: 'mcp-warden', unavailable: `not available yet: ${firstLine(err)}` });
    }
  }
  return targets;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' ').slice(0, 300);
}

const TOOLS = [
  { tool: 'small', body: toolsCall('small'), expect: (text: string) => text.includes('"xxxxxxxxxx') && text.length < 400 },
  { tool: 'large', body: toolsCall('large'), expect: (text: string) => text.length > 100 * 1024 && !text.includes('"error"') },
];

async function measure(targets: Target[]): Promise<{ rows: Row[]; streams: Map<string, StreamResult | string> }> {
  const rows: Row[] = [];
  for (const { tool, body, expect } of TOOLS) {
    for (const target of targets) {
      if (target.origin === undefined) {
        rows.push({ target: target.name, tool, error: target.unavailable ?? 'not started' });
        continue;
      }
      const url = `${target.origin}/mcp`;
      try {
        await checkOnce(url, body, expect);
        log(`  ${tool} via ${target.name}: serial latency (${latencyRequests} requests)…`);
        const latency = await serialLatency(target.origin, '/mcp', body, { requests: latencyRequests, warmup: Math.min(500, latencyRequests) });
        log(`  ${tool} via ${target.name}: load ${durationS} s × ${connections} connections…`);
        const load = await loadTest(url, body, { connections, durationS });
        rows.push({ target: target.name, tool, load, latency });
      } catch (err) {
        rows.push({ target: target.name, tool, error: firstLine(err) });
      }
    }
  }
  const streams = new Map<string, StreamResult | string>();
  for (const target of targets) {
    if (target.origin === undefined) {
      streams.set(target.name, target.unavailable ?? 'not started');
      continue;
    }
    log(`  ${streamMb} MB SSE via ${target.name} (${streamRuns} runs)…`);
    streams.set(target.name, await streamTime(target.origin, '/mcp', streamMb, streamRuns).catch((err: unknown) => `failed: ${firstLine(err)}`));
  }
  return { rows, streams };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

function report(rows: Row[], streams: Map<string, StreamResult | string>): string {
  const out: string[] = [];
  out.push(
    table(
      ['tool', 'target', 'req/s', 'p50 ms', 'p99 ms', 'MB/s', 'errors', 'serial p50 µs', 'serial p99 µs', 'added p50 µs'],
      rows.map((r) => {
        if (r.error) return [r.tool, r.target, r.error];
        const direct = rows.find((d) => d.tool === r.tool && d.target === 'direct')?.latency;
        const added = direct && r.target !== 'direct' ? r.latency!.p50Us - direct.p50Us : undefined;
        return [r.tool, r.target, fmt(r.load!.requestsPerSecond), fmt(r.load!.p50Ms), fmt(r.load!.p99Ms), fmt(r.load!.throughputMBps, 1), String(r.load!.errors + r.load!.non2xx), fmt(r.latency!.p50Us), fmt(r.latency!.p99Us), fmt(added)];
      }),
    ),
  );
  out.push('');
  const ratios: string[][] = [];
  for (const { tool } of TOOLS) {
    const get = (name: string) => rows.find((r) => r.tool === tool && r.target === name && !r.error);
    const direct = get('direct');
    const nginx = get('nginx');
    const warden = get('mcp-warden');
    ratios.push([
      tool,
      warden && nginx ? fmt(warden.load!.requestsPerSecond / nginx.load!.requestsPerSecond, 2) : '—',
      nginx && direct ? fmt(nginx.load!.requestsPerSecond / direct.load!.requestsPerSecond, 2) : '—',
      warden && direct ? fmt(warden.load!.requestsPerSecond / direct.load!.requestsPerSecond, 2) : '—',
      nginx && direct ? fmt(nginx.latency!.p50Us - direct.latency!.p50Us) : '—',
      warden && direct ? fmt(warden.latency!.p50Us - direct.latency!.p50Us) : '—',
    ]);
  }
  out.push(table(['tool', 'req/s warden/nginx', 'req/s nginx/direct', 'req/s warden/direct', 'nginx added p50 µs', 'warden added p50 µs'], ratios));
  out.push('');
  out.push(
    table(
      [`${streamMb} MB SSE reply`, 'seconds (median)', 'MB/s', 'events'],
      [...streams].map(([name, s]) => (typeof s === 'string' ? [name, s] : [name, fmt(s.seconds, 3), fmt(s.mbPerSecond, 1), String(s.events)])),
    ),
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  log(`proxy benchmark: ${durationS} s per cell, ${connections} connections, ${availableParallelism()} CPUs (${cpuModel}), Node ${process.version}`);
  const upstream = await startUpstream();
  let targets: Target[] = [];
  try {
    targets = await startTargets(upstream.origin);
    for (const t of targets) log(`  ${t.name}: ${t.origin ?? t.unavailable}`);
    const { rows, streams } = await measure(targets);
    const text = report(rows, streams);
    console.log(`\nmcp-warden proxy benchmark — ${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} CPUs, ${durationS} s × ${connections} connections per cell, nginx ${opts['nginx-workers']} worker(s)\n`);
    console.log(text);
    if (opts.json) {
      mkdirSync(dirname(opts.json), { recursive: true });
      writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), cpuModel, durationS, connections, rows, streams: Object.fromEntries(streams) }, null, 2));
      log(`wrote ${opts.json}`);
    }
  } finally {
    for (const t of targets.reverse()) await t.close?.().catch(() => undefined);
    await upstream.managed.stop();
  }
}

await main();
