import { join } from 'node:path';
import { answersHttp, freePort, REPO_ROOT, spawnChild, waitUntil, type ManagedChild } from './child-process.ts';

/**
 * Real MCP peers on ephemeral loopback ports (see ../shared/TESTING.md). Every starter returns the
 * URL a client connects to and a `close()` that ends the child's whole process group with bounded
 * waits. A peer that fails to start throws an error that carries the child's output.
 *
 * The clients (Inspector CLI, SDK transports) and the conformance runner live next door and are
 * re-exported here, so tests import one module.
 */
export { connectClient, connectClientV2, progressValues, runInspectorCli, tapIncoming, type ClientTransportKind, type InspectorResult } from './mcp-clients.ts';
export { runConformance, type ConformanceResult, type ConformanceScenario } from './conformance.ts';

export interface RunningPeer {
  /** What a client connects to: …/mcp, …/sse, or ws://…/message. */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** The child's recent output, for assertion messages. */
  output(): string;
  close(): Promise<void>;
}

const EVERYTHING = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const SUPERGATEWAY = join(REPO_ROOT, 'node_modules', 'supergateway', 'dist', 'index.js');
const V2_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'v2-server.ts');

/** server-everything and supergateway take a fixed PORT: pick a free one, retry if someone raced us to it. */
async function startOnFreePort(name: string, start: (port: number) => ManagedChild, ready: (port: number) => Promise<boolean>): Promise<{ managed: ManagedChild; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const managed = start(port);
    try {
      await waitUntil(managed, () => ready(port));
      return { managed, port };
    } catch (err) {
      lastError = err;
      await managed.stop();
      if (!/EADDRINUSE|already in use/i.test(managed.output())) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`${name} did not start`);
}

function peer(managed: ManagedChild, port: number, path: string, scheme = 'http'): RunningPeer {
  return {
    url: `${scheme}://127.0.0.1:${port}${path}`,
    port,
    origin: `http://127.0.0.1:${port}`,
    output: () => managed.output(),
    close: () => managed.stop(),
  };
}

/**
 * `@modelcontextprotocol/server-everything` over HTTP. `streamableHttp` → url …/mcp; `sse` →
 * url …/sse (POSTs go to /message?sessionId=). It binds all interfaces; tests only use 127.0.0.1.
 * `env` is added to the server's environment (its `get-env` tool dumps it: a redaction target).
 */
export async function startEverything(mode: 'streamableHttp' | 'sse', env: Record<string, string> = {}): Promise<RunningPeer> {
  const { managed, port } = await startOnFreePort(
    `server-everything (${mode})`,
    (p) => spawnChild(`server-everything (${mode})`, process.execPath, [EVERYTHING, mode], { env: { ...process.env, ...env, PORT: String(p) } }),
    (p) => answersHttp(`http://127.0.0.1:${p}/`),
  );
  return peer(managed, port, mode === 'sse' ? '/sse' : '/mcp');
}

/**
 * The SDK v2 fixture (`test/fixtures/servers/v2-server.ts`, `createMcpHandler`): both protocol eras
 * on …/mcp, including 2026-07-28. It listens on port 0 and reports its port on stdout.
 */
export async function startV2Fixture(env: Record<string, string> = {}): Promise<RunningPeer> {
  const managed = spawnChild('v2 fixture', process.execPath, ['--import', 'tsx', V2_FIXTURE], { env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' } });
  let port = 0;
  await waitUntil(managed, async () => {
    const match = /LISTENING (\d+)/.exec(managed.output());
    if (match) port = Number(match[1]);
    return port !== 0;
  });
  return peer(managed, port, '/mcp');
}

/**
 * supergateway exposing server-everything's stdio mode over WebSocket (subprotocol `mcp`) at
 * ws://127.0.0.1:PORT/message. It rewrites JSON-RPC ids per connection and turns string ids into
 * null: use numeric ids through it (the SDK clients do).
 */
export async function startSupergatewayWs(env: Record<string, string> = {}): Promise<RunningPeer> {
  const { managed, port } = await startOnFreePort(
    'supergateway (ws)',
    (p) =>
      spawnChild(
        'supergateway (ws)',
        process.execPath,
        [SUPERGATEWAY, '--stdio', `${JSON.stringify(process.execPath)} ${JSON.stringify(EVERYTHING)} stdio`, '--outputTransport', 'ws', '--port', String(p), '--messagePath', '/message', '--healthEndpoint', '/healthz', '--logLevel', 'none'],
        { env: { ...process.env, ...env } },
      ),
    async (p) => {
      try {
        const response = await fetch(`http://127.0.0.1:${p}/healthz`, { signal: AbortSignal.timeout(1_000) });
        return response.ok && (await response.text()) === 'ok';
      } catch {
        return false;
      }
    },
  );
  return peer(managed, port, '/message', 'ws');
}
