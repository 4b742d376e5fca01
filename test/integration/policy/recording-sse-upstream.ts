import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SseUpstreamCall {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

export interface RecordingSseUpstream {
  /** The stream URL to configure as the upstream (…/sse). */
  readonly url: string;
  /** Every HTTP request the upstream received, in order (assert on the upstream's side). */
  readonly received: SseUpstreamCall[];
  /** Every tool name the upstream was asked to run. */
  toolCalls(): string[];
  /** Sends a message on every open stream, unasked (a late, duplicate or invented reply). */
  push(message: unknown): void;
  /** Answers a held request now (requests with an id >= 1000 are held). */
  release(id: number, result: unknown): void;
  setTools(tools: unknown[]): void;
  close(): Promise<void>;
}

/**
 * A legacy HTTP+SSE (2024-11-05) MCP upstream on a real node:http server that records every request
 * it receives: GET /sse opens a stream whose first event names POST /message?sessionId=…; each POST
 * is recorded, answered 202, and its reply sent on the stream. Requests with an id of 1000 or more
 * are held until the test releases them, so that a test can leave requests pending.
 */
export async function startRecordingSseUpstream(initialTools: unknown[]): Promise<RecordingSseUpstream> {
  const received: SseUpstreamCall[] = [];
  const streams = new Map<string, ServerResponse>();
  let tools = initialTools;
  let next = 0;
  const send = (message: unknown) => {
    for (const res of streams.values()) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  };
  const answer = (m: { id?: unknown; method?: string }): unknown => {
    if (m.method === 'initialize') return { protocolVersion: '2024-11-05', capabilities: { tools: {} }, serverInfo: { name: 'rec-sse', version: '1' } };
    if (m.method === 'tools/list') return { tools };
    if (m.method === 'ping') return {};
    return { content: [{ type: 'text', text: `upstream ran ${m.method}` }] };
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ method: req.method ?? '', url: req.url ?? '', body });
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const sessionId = `s${++next}`;
        streams.set(sessionId, res);
        res.on('close', () => streams.delete(sessionId));
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(`event: endpoint\ndata: /message?sessionId=${sessionId}\n\n`);
        return;
      }
      const stream = streams.get(url.searchParams.get('sessionId') ?? '');
      if (req.method !== 'POST' || url.pathname !== '/message' || stream === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(202).end('Accepted');
      let m: { id?: number; method?: string };
      try {
        m = JSON.parse(body) as { id?: number; method?: string };
      } catch {
        return;
      }
      if (m.id === undefined || m.method === undefined) return;
      if (m.id >= 1000) return; // held: the test releases it
      stream.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: answer(m) })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    received,
    toolCalls: () =>
      received.flatMap((r) => {
        try {
          const m = JSON.parse(r.body) as { method?: string; params?: { name?: unknown } };
          return m.method === 'tools/call' ? [String(m.params?.name)] : [];
        } catch {
          return [];
        }
      }),
    push: send,
    release: (id, result) => send({ jsonrpc: '2.0', id, result }),
    setTools: (t) => {
      tools = t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams.values()) res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
