import { Agent, request } from 'node:http';

export interface LoadOptions {
  readonly url: () => string;
  readonly total: number;
  readonly concurrency: number;
  /** The tools/call params of call `k` (its arguments make the call recognisable in the audit trail). */
  readonly params: (k: number) => Record<string, unknown>;
  /** Called after every completed call with the number completed so far. */
  readonly onProgress?: (completed: number) => void;
  /** Give up on one call after this long (a bug, not an outage: outages are retried). */
  readonly perCallDeadlineMs?: number;
}

export interface LoadResult {
  readonly completed: number;
  /** Attempts that failed (connection refused or reset, non-200, no JSON-RPC result) and were retried. */
  readonly retries: number;
  readonly failuresByKind: Record<string, number>;
}

/**
 * Sends `total` JSON-RPC tools/call requests over plain HTTP/1.1 with keep-alive from `concurrency`
 * workers. A call counts once it got HTTP 200 with a JSON-RPC result carrying its id; anything else
 * (mcp-warden down, a reset socket, an error answer) is retried with the same id and arguments, as
 * a client of a restarting proxy would.
 */
export async function runCalls(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  let next = 0;
  let completed = 0;
  let retries = 0;
  const failuresByKind: Record<string, number> = {};
  const worker = async () => {
    for (let k = next++; k < o.total; k = next++) {
      const deadline = Date.now() + (o.perCallDeadlineMs ?? 60_000);
      const body = JSON.stringify({ jsonrpc: '2.0', id: k, method: 'tools/call', params: o.params(k) });
      for (;;) {
        const failure = await callOnce(agent, o.url(), body, k);
        if (failure === undefined) break;
        retries++;
        failuresByKind[failure] = (failuresByKind[failure] ?? 0) + 1;
        if (Date.now() > deadline) throw new Error(`call ${k} did not succeed within the deadline (last failure: ${failure})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      completed++;
      o.onProgress?.(completed);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { completed, retries, failuresByKind };
}

/** One attempt; undefined on success, else a short name for the failure. */
function callOnce(agent: Agent, url: string, body: string, id: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body), 'user-agent': 'no-loss-client/1' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve('response-error'));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(`http-${res.statusCode}`);
        const text = Buffer.concat(chunks).toString('utf8');
        // JSON, or an SSE stream whose data lines carry the JSON-RPC message.
        const payload = (res.headers['content-type'] ?? '').includes('text/event-stream') ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('') : text;
        try {
          const msg = JSON.parse(payload) as { id?: unknown; result?: unknown };
          resolve(msg.id === id && msg.result !== undefined ? undefined : 'no-result');
        } catch {
          resolve('bad-body');
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body);
  });
}
