import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type UpstreamReply = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A real node:http server standing in as an MCP upstream whose every received request is recorded,
 * so that tests can assert on the upstream's side what mcp-warden forwarded (or that it forwarded
 * nothing). The reply is up to the test; by default it echoes a JSON-RPC result for a request.
 */
export async function startRecordingUpstream(reply: UpstreamReply = defaultReply): Promise<{
  url: string;
  origin: string;
  received: RecordedRequest[];
  setReply(next: UpstreamReply): void;
  close(): Promise<void>;
}> {
  const received: RecordedRequest[] = [];
  let current = reply;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    received.push(recorded);
    await current(recorded, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    origin: `http://127.0.0.1:${port}`,
    received,
    setReply: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function defaultReply(req: RecordedRequest, res: ServerResponse): void {
  let id: unknown = null;
  try {
    const parsed = JSON.parse(req.body.toString()) as { id?: unknown; method?: string };
    if (parsed.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    id = parsed.id;
  } catch {
    // not JSON: answer anyway, the test decides what matters
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
