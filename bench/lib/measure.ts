import autocannon from 'autocannon';
import { Client } from 'undici';

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

export function toolsCall(name: string, args: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
}

/**
 * One request before a measurement: the target must answer 200 with the expected result, or the
 * figures would measure error replies (a proxy refusing the call is fast and wrong).
 */
export async function checkOnce(url: string, body: string, expectText: (text: string) => boolean): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200 || !expectText(text)) {
    throw new Error(`unexpected reply from ${url}: HTTP ${response.status}, ${text.length} bytes: ${text.slice(0, 300)}`);
  }
}

export interface LoadResult {
  requestsPerSecond: number;
  /** autocannon records latency in whole milliseconds (hdr histogram): coarse, see serial latency. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  throughputMBps: number;
  total: number;
  errors: number;
  non2xx: number;
}

/** Closed-loop load with autocannon: `connections` keep-alive connections for `durationS` seconds. */
export async function loadTest(url: string, body: string, options: { connections: number; durationS: number }): Promise<LoadResult> {
  const result = await autocannon({ url, method: 'POST', headers: MCP_HEADERS, body, connections: options.connections, duration: options.durationS, timeout: 10 });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    throughputMBps: result.throughput.average / (1024 * 1024),
    total: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export interface LatencyResult {
  p50Us: number;
  p99Us: number;
  meanUs: number;
  samples: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Unloaded latency with microsecond resolution: one keep-alive connection, one request at a time,
 * `warmup` requests discarded. This is what "added p50 latency" compares.
 */
export async function serialLatency(origin: string, path: string, body: string, options: { requests: number; warmup: number }): Promise<LatencyResult> {
  const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < options.warmup + options.requests; i++) {
      const started = process.hrtime.bigint();
      const { statusCode, body: responseBody } = await client.request({ method: 'POST', path, headers: MCP_HEADERS, body });
      await responseBody.text();
      const micros = Number(process.hrtime.bigint() - started) / 1_000;
      if (statusCode !== 200) throw new Error(`HTTP ${statusCode} during the latency run`);
      if (i >= options.warmup) samples.push(micros);
    }
  } finally {
    await client.close();
  }
  samples.sort((a, b) => a - b);
  return { p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), meanUs: samples.reduce((a, b) => a + b, 0) / samples.length, samples: samples.length };
}

export interface StreamResult {
  /** Median over the runs, seconds from sending the request to the last byte. */
  seconds: number;
  bytes: number;
  events: number;
  mbPerSecond: number;
}

/** A tools/call whose reply is an SSE stream of `mb` MB: time to the last byte, counted event by event. */
export async function streamTime(origin: string, path: string, mb: number, runs: number): Promise<StreamResult> {
  const times: number[] = [];
  let bytes = 0;
  let events = 0;
  for (let run = 0; run < runs; run++) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${origin}${path}`, { method: 'POST', headers: MCP_HEADERS, body: toolsCall('stream', { mb }, 100 + run), signal: AbortSignal.timeout(120_000) });
    if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      throw new Error(`stream: HTTP ${response.status} ${response.headers.get('content-type')}: ${(await response.text()).slice(0, 300)}`);
    }
    bytes = 0;
    events = 0;
    let tail = '';
    let end = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      bytes += chunk.byteLength;
      // Count event boundaries across chunk edges without keeping the whole stream.
      const decoded = decoder.decode(chunk, { stream: true });
      end = (end + decoded).slice(-1024);
      const text = tail + decoded;
      events += text.split('\n\n').length - 1;
      tail = text.slice(Math.max(0, text.lastIndexOf('\n\n') + 2));
      if (tail.length > 64 * 1024) tail = tail.slice(-2);
    }
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (!end.includes('"result"')) throw new Error(`stream: the reply did not end with the tool result (${events} events, ${bytes} bytes)`);
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)]!;
  return { seconds, bytes, events, mbPerSecond: bytes / (1024 * 1024) / seconds };
}
