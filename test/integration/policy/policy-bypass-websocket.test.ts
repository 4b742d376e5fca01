import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { BYPASS_ATTEMPTS } from './bypass-attempts.ts';

/**
 * The bypass attempts of policy-bypass.test.ts, sent as WebSocket frames through mcp-warden to a
 * real `ws` upstream that records every frame it receives: each attempt is answered with an error
 * (or dropped, for a notification), and no denied tool call ever reaches the upstream.
 */
const TOOLS = [
  { name: 'echo', description: 'Echoes', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-env', description: 'Dumps the environment', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'delete-everything', description: 'Deletes', inputSchema: { type: 'object' } },
];

describe('policy bypass attempts (WebSocket, recording upstream)', { timeout: 60_000 }, () => {
  let upstreamServer: WebSocketServer;
  const received: { method?: string; params?: { name?: unknown } }[] = [];
  let warden: TestWarden;
  let client: WebSocket;
  const replies: Record<string, unknown>[] = [];

  before(async () => {
    upstreamServer = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mcp' });
    await once(upstreamServer, 'listening');
    upstreamServer.on('connection', (ws) =>
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { name?: unknown } };
        received.push(m);
        if (m.id === undefined) return;
        const result =
          m.method === 'initialize'
            ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'rec', version: '1' } }
            : m.method === 'tools/list'
              ? { tools: TOOLS }
              : { content: [{ type: 'text', text: `upstream ran ${m.method}` }] };
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      }),
    );
    const { port } = upstreamServer.address() as AddressInfo;
    warden = await startTestWarden({
      upstreams: [{ name: 'rec', url: `ws://127.0.0.1:${port}/`, transport: 'websocket', path: '/ws' }],
      policy: { bundle: 'policies/', data: { tools: { 'get-env': 'deny' }, principals: { anonymous: { roles: ['operator'] } } } },
    });
    client = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp']);
    client.on('message', (data) => replies.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await once(client, 'open');
    await request({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    await request({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  });
  after(async () => {
    client?.terminate();
    await warden?.close();
    upstreamServer?.close();
  });

  /** Sends one frame and waits for the reply with its id (requests only). */
  async function request(message: unknown): Promise<Record<string, unknown>> {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    const before = replies.length;
    client.send(text);
    for (let i = 0; i < 200 && replies.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(replies.length > before, `no reply to ${text}`);
    return replies.at(-1)!;
  }

  const called = () => received.filter((m) => m.method === 'tools/call').map((m) => String(m.params?.name));

  it('a listed read tool goes through (the harness works)', async () => {
    const reply = await request({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: {} } });
    assert.match(JSON.stringify(reply), /upstream ran tools\/call/);
    assert.deepEqual(called(), ['echo']);
  });

  it('a request reusing a pending id cannot get its reply paired with another request (unfiltered tools/list)', async () => {
    const before = replies.length;
    client.send(JSON.stringify({ jsonrpc: '2.0', id: 50, method: 'tools/list' }));
    client.send(JSON.stringify({ jsonrpc: '2.0', id: 50, method: 'ping' }));
    for (let i = 0; i < 300 && replies.length < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
    const got = replies.slice(before);
    assert.equal(got.length, 2, JSON.stringify(got));
    const refused = got.find((r) => 'error' in r) as { error: { data: { warden_code: string } } } | undefined;
    assert.equal(refused?.error.data.warden_code, 'WARDEN_ERR_JSONRPC_DUPLICATE_ID');
    const listed = got.find((r) => 'result' in r) as { result: { tools: { name: string }[] } };
    assert.deepEqual(listed.result.tools.map((t) => t.name).sort(), ['echo'], 'the denied and unlisted tools stay hidden');
  });

  it('every bypass attempt is refused and never reaches the upstream', async () => {
    for (const attempt of BYPASS_ATTEMPTS) {
      const isNotification = !/"id"/.test(attempt);
      if (isNotification) {
        client.send(attempt);
        continue;
      }
      const reply = await request(attempt);
      assert.ok('error' in reply, `${attempt} → ${JSON.stringify(reply)}`);
    }
    // A frame after the notification proves the notification was processed (frames are in order).
    await request({ jsonrpc: '2.0', id: 99, method: 'ping' });
    assert.deepEqual(called(), ['echo']);
  });
});
