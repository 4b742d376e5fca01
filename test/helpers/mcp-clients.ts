import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from '@modelcontextprotocol/client';
import WebSocket from 'ws';
import { NODE22, REPO_ROOT, runToCompletion } from './child-process.ts';

/**
 * Real MCP clients for tests: the MCP Inspector CLI (a separate process) and the SDK client
 * transports (v1 `@modelcontextprotocol/sdk`, v2 `@modelcontextprotocol/client`), each pointed at
 * a URL, so that a test runs the same scenario against a peer directly and through mcp-warden.
 */

export type ClientTransportKind = 'streamable-http' | 'sse' | 'websocket';

// Node 20 has no global WebSocket; the SDK's WebSocketClientTransport expects the browser API,
// which `ws` implements (including the subprotocol argument).
const globals = globalThis as unknown as { WebSocket?: unknown };
globals.WebSocket ??= WebSocket;

/**
 * A connected SDK v1 `Client` (2025-era handshake) over the given transport. `headers` are sent on
 * every HTTP request (POST, GET stream, SSE stream) and on the WebSocket upgrade.
 */
export async function connectClient(
  url: string,
  transport: ClientTransportKind,
  options: { headers?: Record<string, string>; timeoutMs?: number; capabilities?: ConstructorParameters<typeof Client>[1] extends infer O ? (O extends { capabilities?: infer C } ? C : never) : never; setup?: (client: Client) => void } = {},
): Promise<Client> {
  const headers = options.headers ?? {};
  const client = new Client({ name: 'warden-test-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client); // request handlers (sampling, elicitation, roots) before the handshake
  let clientTransport;
  switch (transport) {
    case 'streamable-http':
      clientTransport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
      break;
    case 'sse':
      clientTransport = new SSEClientTransport(new URL(url), { requestInit: { headers } });
      break;
    case 'websocket':
      clientTransport = webSocketTransport(url, headers);
      break;
  }
  await client.connect(clientTransport, { timeout: options.timeoutMs ?? 10_000 });
  return client;
}

/**
 * The SDK's WebSocket transport has no header option (browsers cannot set upgrade headers). With
 * headers, construct its socket from a `ws` subclass that adds them: the transport creates the
 * socket synchronously inside start(), so the global is swapped only for that instant.
 */
function webSocketTransport(url: string, headers: Record<string, string>): WebSocketClientTransport {
  const transport = new WebSocketClientTransport(new URL(url));
  if (Object.keys(headers).length === 0) return transport;
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const start = transport.start.bind(transport);
  transport.start = () => {
    const previous = globals.WebSocket;
    globals.WebSocket = WebSocketWithHeaders;
    try {
      return start();
    } finally {
      globals.WebSocket = previous;
    }
  };
  return transport;
}

/**
 * A connected SDK v2 `Client` over Streamable HTTP. `negotiation` picks the era: `'legacy'` (the
 * 2025 initialize handshake), `'auto'` (probe with server/discover, fall back), or a pinned
 * revision such as `{ pin: '2026-07-28' }` (server/discover; every request then carries
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`).
 */
export async function connectClientV2(
  url: string,
  options: { headers?: Record<string, string>; negotiation?: 'legacy' | 'auto' | { pin: string }; timeoutMs?: number } = {},
): Promise<ClientV2> {
  const client = new ClientV2({ name: 'warden-test-client-v2', version: '1.0.0' }, { versionNegotiation: { mode: options.negotiation ?? { pin: '2026-07-28' } } });
  const transport = new StreamableHTTPClientTransportV2(new URL(url), { requestInit: { headers: options.headers ?? {} } });
  await client.connect(transport, { timeout: options.timeoutMs ?? 10_000 });
  return client;
}

/**
 * Records every message the client receives, as the transport delivered it and in wire order.
 * Use it to assert on notifications: the SDK's `onprogress` callback can miss the last progress
 * notification when the result follows immediately, the wire does not.
 */
export function tapIncoming(client: { transport?: { onmessage?: (message: never, extra?: never) => void } | undefined }): Record<string, unknown>[] {
  const transport = client.transport;
  if (transport?.onmessage === undefined) throw new Error('tapIncoming: connect the client first');
  const received: Record<string, unknown>[] = [];
  const deliver = transport.onmessage.bind(transport);
  transport.onmessage = (message, extra) => {
    received.push(message as Record<string, unknown>);
    deliver(message, extra);
  };
  return received;
}

/** The `progress` values of the progress notifications among `messages`, in order. */
export function progressValues(messages: Record<string, unknown>[]): number[] {
  return messages
    .filter((m) => m.method === 'notifications/progress')
    .map((m) => (m.params as { progress: number }).progress);
}

export interface InspectorResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON (the CLI prints the method's result). */
  json: unknown;
}

const INSPECTOR = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');

/**
 * Runs the MCP Inspector CLI (`--cli`) against a URL, e.g.
 * `runInspectorCli(url, ['--method', 'tools/call', '--tool-name', 'get-sum', '--tool-arg', 'a=2', 'b=40'])`.
 * The transport follows the URL (…/mcp → Streamable HTTP, …/sse → legacy SSE) unless `transport`
 * says otherwise. Exit code 5 means the tool does not exist. HOME is a fresh temp dir (the CLI
 * keeps a catalog there).
 */
export async function runInspectorCli(
  url: string,
  args: string[],
  options: { headers?: Record<string, string>; transport?: 'http' | 'sse'; timeoutMs?: number } = {},
): Promise<InspectorResult> {
  const home = mkdtempSync(join(tmpdir(), 'warden-inspector-'));
  try {
    // --header is variadic: it goes last so that it cannot swallow the URL or another option.
    const headerArgs = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
    const result = await runToCompletion(
      NODE22,
      [INSPECTOR, '--cli', url, ...(options.transport ? ['--transport', options.transport] : []), ...args, ...headerArgs],
      { env: { ...process.env, HOME: home, NO_COLOR: '1' }, timeoutMs: options.timeoutMs ?? 30_000 },
    );
    if (result.timedOut) throw new Error(`Inspector CLI timed out against ${url}:\n${result.stderr}`);
    let json: unknown;
    try {
      json = JSON.parse(result.stdout);
    } catch {
      json = undefined;
    }
    return { code: result.code, stdout: result.stdout, stderr: result.stderr, json };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
