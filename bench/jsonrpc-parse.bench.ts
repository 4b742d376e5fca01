/**
 * Strict parse throughput vs plain JSON.parse on realistic MCP payloads.
 * Run: node --import tsx bench/jsonrpc-parse.bench.ts
 * Reports figures only; it gates nothing.
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { serialiseSseEvent, SseParser } from '../src/jsonrpc/sse.ts';
import { parseStrictJson } from '../src/jsonrpc/strict-json.ts';
import { toMessages } from '../src/jsonrpc/validate.ts';

// Mostly ASCII, as tool output usually is (logs, code, file contents), with a little UTF-8,
// quotes, tabs and newlines (which JSON escapes). `dense` is prose in a non-Latin script.
const asciiWords = 'INFO request handled in 12ms path=/api/v1/items status=200 "ok" const x = await fetch(url);\tif (!res.ok) throw new Error(msg) café'.split(' ');
const denseWords = '東京 の 天気 は 晴れ です Привет мир — κόσμε ☕ naïve façade'.split(' ');
function prose(bytes: number, seed: number, words: string[] = asciiWords): string {
  const parts: string[] = [];
  let size = 0;
  let i = seed;
  while (size < bytes) {
    const part = words[i % words.length] + (i % 11 === 0 ? '\n' : ' ');
    parts.push(part);
    size += Buffer.byteLength(part);
    i = (i * 1103515245 + 12345) & 0x7fffffff;
  }
  return parts.join('');
}

/** A tools/call result: one big text block (log output, a file), the common large-result shape. */
function textResult(bytes: number, words?: string[]): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 42, result: { content: [{ type: 'text', text: prose(bytes, 7, words) }], isError: false } }));
}

/** A tools/call result with structuredContent: many small objects (search hits, rows). */
function structuredResult(bytes: number): Buffer {
  const rows = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const row = { id: `row-${i}`, title: prose(40, i), score: i / 7, tags: ['a', 'b', `t${i % 10}`], meta: { created: '2025-01-01T00:00:00Z', owner: `user${i % 50}`, public: i % 2 === 0 } };
    size += JSON.stringify(row).length;
    rows.push(row);
  }
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 43, result: { content: [{ type: 'text', text: `${rows.length} rows` }], structuredContent: { rows } } }));
}

function measure(name: string, body: Buffer, fn: (b: Buffer) => unknown): number {
  const minMs = 1500;
  for (let i = 0; i < 20; i++) fn(body); // warm up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10; i++) fn(body);
    iterations += 10;
    elapsed = performance.now() - start;
  }
  const mbps = (body.length * iterations) / (elapsed / 1000) / 1e6;
  const us = (elapsed * 1000) / iterations;
  console.log(`${name.padEnd(44)} ${String(body.length).padStart(8)} B  ${mbps.toFixed(0).padStart(6)} MB/s  ${us.toFixed(1).padStart(9)} µs/op`);
  return mbps;
}

const limits = { maxDepth: 64 };
const cases: [string, Buffer][] = [
  ['text tool result 100 KB', textResult(100_000)],
  ['structured tool result 100 KB', structuredResult(100_000)],
  ['non-Latin text tool result 100 KB', textResult(100_000, denseWords)],
  ['text tool result 4 MB', textResult(4_000_000)],
  ['small tools/call request', Buffer.from('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}')],
];
console.log(`node ${process.version}`);
for (const [name, body] of cases) {
  const base = measure(`${name}: JSON.parse(toString)`, body, (b) => JSON.parse(b.toString('utf8')));
  const strict = measure(`${name}: parseStrictJson`, body, (b) => parseStrictJson(b, limits));
  measure(`${name}: parseStrictJson + toMessages`, body, (b) => toMessages(parseStrictJson(b, limits), { allowBatch: false }));
  console.log(`${''.padEnd(44)} strict/plain = ${(strict / base).toFixed(2)}\n`);
}

// SSE framing: a 10 MB stream (progress notifications and 100 KB tool results), in 16 KB chunks
// as they come off a socket, through SseParser alone and through SseParser + strict parse.
{
  const events: string[] = [];
  let size = 0;
  for (let i = 0; size < 10_000_000; i++) {
    const data = i % 10 === 9 ? textResult(100_000).toString('utf8') : JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: i, total: 1000, message: prose(200, i) } });
    const event = serialiseSseEvent({ event: 'message', id: String(i), data });
    size += event.length;
    events.push(event);
  }
  const stream = Buffer.from(events.join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 16_384) chunks.push(stream.subarray(at, at + 16_384));
  const run = (inspect: boolean) => (): number => {
    const parser = new SseParser({ maxEventBytes: 4 << 20 });
    let n = 0;
    for (const chunk of chunks) {
      for (const event of parser.push(chunk)) {
        if (inspect) parseStrictJson(Buffer.from(event.data, 'utf8'), limits);
        n++;
      }
    }
    return n;
  };
  measure('SSE 10 MB stream: SseParser', stream, run(false));
  measure('SSE 10 MB stream: SseParser + parseStrictJson', stream, run(true));
}
