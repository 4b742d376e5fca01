/**
 * Redaction cost: scan throughput on realistic tool output, the latency the stage adds per result,
 * and the worst case on adversarial 1 MB inputs (test/unit/redact/adversarial-inputs.ts: inputs
 * against every built-in detector; budget 50 ms each).
 * Run: npm run bench -- redact   (or node --import tsx bench/redact.bench.ts)
 * Reports figures only; it gates nothing. Wall-clock figures move with whatever else the machine
 * runs; the adversarial table also gives CPU time (process.cpuUsage), which moves less.
 *
 * "Realistic tool output" is what MCP tools return: file contents (this repository's own
 * TypeScript sources), log lines, JSON listings, prose, with a little PII sprinkled in (about one
 * value per 4 KB, so the replacement path is exercised too).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JsonRpcMessage } from '../src/jsonrpc/message.ts';
import type { MessageContext } from '../src/pipeline/exchange-context.ts';
import { ANONYMOUS_VIEWER } from '../src/pipeline/principal.ts';
import { BUILTIN_DETECTORS } from '../src/redact/detectors/index.ts';
import { redactionConfigSchema } from '../src/redact/redaction-config.ts';
import { createRedactionStage } from '../src/redact/redaction-stage.ts';
import { Scanner } from '../src/redact/scanner.ts';
import { ADVERSARIAL_INPUTS, fill } from '../test/unit/redact/adversarial-inputs.ts';

const ROOT = join(import.meta.dirname, '..');
const sources = ['src/redact', 'src/pipeline', 'src/jsonrpc', 'src/transports', 'src/policy']
  .flatMap((dir) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(ROOT, dir, f), 'utf8')))
  .join('\n');
const logLines = Array.from({ length: 200 }, (_, i) =>
  `2025-11-${String((i % 28) + 1).padStart(2, '0')}T10:${String(i % 60).padStart(2, '0')}:12.345Z INFO  [worker-${i % 8}] GET /api/v1/items/${1000 + i}?limit=50 200 ${i * 7} bytes in ${(i % 97) / 10} ms trace=${(i * 2654435761 >>> 0).toString(16)}`,
).join('\n');
const listing = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: 10_000 + i, name: `report-${i}.pdf`, size: 1024 * i, modified: `2025-10-${String((i % 28) + 1).padStart(2, '0')}`, owner: `user${i % 17}` })), null, 2);
const prose = 'The quarterly review covered the migration plan, the on-call rota and the budget for next year. Version 2.14.3 shipped on schedule; p99 latency stayed under 45 ms. ';
const pii = ['jane.roe@example.org', '4111 1111 1111 1111', '+44 20 7946 0958', '203.0.113.42', 'GB82 WEST 1234 5698 7654 32', '078-05-1121'];
const corpus = [sources, logLines, listing, prose.repeat(200)].join('\n');

/** A text of `bytes` characters of realistic output with a PII value about every 4 KB. */
function realisticText(bytes: number, seed = 0): string {
  let out = '';
  let at = (seed * 7919) % corpus.length;
  let n = 0;
  while (out.length < bytes) {
    const take = Math.min(4000, bytes - out.length);
    out += corpus.slice(at, at + take);
    at = (at + take) % (corpus.length - 4000);
    if (out.length < bytes) out += ` ${pii[n++ % pii.length]} `;
  }
  return out.slice(0, bytes);
}

/** A tools/call result: text and code blocks plus structured content, ~`bytes` of JSON. */
function toolResult(bytes: number): JsonRpcMessage {
  const text = realisticText(Math.floor(bytes * 0.7), 1);
  const code = realisticText(Math.floor(bytes * 0.2), 2);
  return {
    jsonrpc: '2.0',
    id: 7,
    result: { content: [{ type: 'text', text }, { type: 'text', text: '```ts\n' + code + '\n```' }], structuredContent: { summary: realisticText(Math.floor(bytes * 0.05), 3), count: 42, items: [1, 2, 3] } },
  };
}

function context(message: JsonRpcMessage): MessageContext {
  return {
    decisionId: 'b',
    direction: 'to_client',
    connection: { transport: 'streamable-http', upstream: 'u', clientIp: '127.0.0.1', userAgent: undefined, protocolVersion: undefined, sessionId: undefined, principal: ANONYMOUS_VIEWER },
    receivedAt: 0,
    message,
    raw: undefined,
    summary: { kind: 'response', method: 'tools/call', id: 7, tool: 'x', resourceUri: undefined, prompt: undefined, isError: false },
    request: undefined,
    notes: new Map(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

const scanner = new Scanner(BUILTIN_DETECTORS);
const stage = createRedactionStage(redactionConfigSchema.parse({}));

// 1. Scan throughput on 1 MB of realistic text
{
  const text = realisticText(1 << 20, 5);
  for (let i = 0; i < 5; i++) scanner.scan(text);
  const runs: number[] = [];
  let found = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    found = scanner.scan(text).length;
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  const p50 = percentile(runs, 0.5);
  console.log(`scan, 1 MB realistic text (${found} findings): p50 ${p50.toFixed(2)} ms → ${(1 / (p50 / 1000)).toFixed(0)} MB/s (best ${(1 / (runs[0]! / 1000)).toFixed(0)} MB/s)`);
}

// 2. The stage on whole JSON-RPC results (walk + scan + replace + copy on write)
for (const size of [1024, 100 * 1024, 1024 * 1024]) {
  const message = toolResult(size);
  const jsonBytes = Buffer.byteLength(JSON.stringify(message));
  const iterations = size >= 1 << 20 ? 30 : size >= 100 * 1024 ? 200 : 5000;
  for (let i = 0; i < Math.min(iterations, 50); i++) stage.process(context(message));
  const runs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    stage.process(context(message));
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  const p50 = percentile(runs, 0.5);
  const p99 = percentile(runs, 0.99);
  // reference: what the proxy already pays to parse and serialise the same message
  const json = JSON.stringify(message);
  const refRuns: number[] = [];
  for (let i = 0; i < Math.min(iterations, 200); i++) {
    const t = performance.now();
    JSON.stringify(JSON.parse(json));
    refRuns.push(performance.now() - t);
  }
  refRuns.sort((a, b) => a - b);
  const label = size >= 1 << 20 ? '1 MB' : size >= 1024 * 100 ? '100 KB' : '1 KB';
  console.log(
    `stage, ${label} tools/call result (${jsonBytes} B JSON): added p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs, ` +
      `${(jsonBytes / (1 << 20) / (p50 / 1000)).toFixed(0)} MB/s; JSON.parse+stringify of the same: p50 ${(percentile(refRuns, 0.5) * 1000).toFixed(1)} µs`,
  );
}

// 3. Adversarial 1 MB inputs: the worst case (budget 50 ms)
{
  scanner.scan(fill('warm up 4111 1111 1111 1111 a@b.cc '));
  const rows: { name: string; wall: number; cpu: number; findings: number }[] = [];
  for (const { name, text } of ADVERSARIAL_INPUTS) {
    let wall = Infinity;
    let cpu = Infinity;
    let findings = 0;
    for (let i = 0; i < 3; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      findings = scanner.scan(text).length;
      wall = Math.min(wall, performance.now() - t);
      const used = process.cpuUsage(c);
      cpu = Math.min(cpu, (used.user + used.system) / 1000);
    }
    rows.push({ name, wall, cpu, findings });
  }
  rows.sort((a, b) => b.wall - a.wall);
  const worst = rows[0]!;
  console.log(`adversarial 1 MB inputs (${rows.length}, best of 3): worst ${worst.name} ${worst.wall.toFixed(1)} ms wall, ${worst.cpu.toFixed(1)} ms CPU`);
  for (const r of rows) console.log(`  ${r.name.padEnd(26)} ${r.wall.toFixed(1).padStart(6)} ms wall ${r.cpu.toFixed(1).padStart(6)} ms CPU  ${r.findings} findings`);
}
