import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A byte-recording TCP relay in front of a real MCP server: everything mcp-warden sends to the
 * upstream passes through it and is kept, so that a test can assert on the upstream side what
 * reached it (HTTP request heads, SSE POSTs, the WebSocket upgrade request), and what it answered.
 * Nothing is changed.
 */
export async function startTcpTap(targetPort: number): Promise<{ port: number; received(): string; replies(): string; close(): Promise<void> }> {
  const chunks: Buffer[] = [];
  const back: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
    upstream.on('data', (d: Buffer) => back.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    /** What the target answered (all connections, interleaved). */
    replies: () => Buffer.concat(back).toString('latin1'),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
