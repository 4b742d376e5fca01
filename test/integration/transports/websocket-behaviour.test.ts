import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * WebSocket behaviour through mcp-warden (issue 2, item 6), against a real `ws` server standing in
 * as the upstream so that the test controls close codes and can kill the upstream side.
 */
describe('WebSocket through mcp-warden', { timeout: 60_000 }, () => {
  let upstreamServer: WebSocketServer;
  const upstreamSockets: WebSocket[] = [];
  const upstreamReceived: string[] = [];
  let pendingCall: number | undefined;
  let warden: TestWarden;

  before(async () => {
    upstreamServer = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
    await once(upstreamServer, 'listening');
    upstreamServer.on('connection', (ws) => {
      upstreamSockets.push(ws);
      ws.on('message', (data) => {
        const text = data.toString();
        upstreamReceived.push(text);
        const message = JSON.parse(text) as { id?: number; method?: string };
        if (message.method === 'ping' && message.id === 4001) ws.close(4001, 'upstream says bye');
        else if (message.method === 'tools/call') {
          // A server→client request first; the tool result carries the client's answer.
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: 900, method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } }));
          pendingCall = message.id;
        } else if (message.id === 900 && pendingCall !== undefined) {
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: pendingCall, result: { content: [{ type: 'text', text: `client said ${text}` }] } }));
          pendingCall = undefined;
        }
        else if (message.id !== undefined) ws.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { echoed: message.method } }));
      });
    });
    const { port } = upstreamServer.address() as AddressInfo;
    warden = await startTestWarden({ upstreams: [{ name: 'ws', url: `ws://127.0.0.1:${port}/`, transport: 'websocket', path: '/ws' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } });
  });
  after(async () => {
    await warden.close();
    for (const ws of upstreamSockets) ws.terminate();
    upstreamServer.close();
  });

  async function connect(): Promise<WebSocket> {
    const ws = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp']);
    await once(ws, 'open');
    return ws;
  }

  it('negotiates subprotocol mcp and relays request and response as parsed JSON-RPC', async () => {
    const ws = await connect();
    assert.equal(ws.protocol, 'mcp');
    ws.send('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.deepEqual(JSON.parse(reply.toString()), { jsonrpc: '2.0', id: 1, result: { echoed: 'ping' } });
    ws.close();
  });

  it('relays a server→client request and the client\'s answer through the pipeline', async () => {
    const ws = await connect();
    ws.send('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask","arguments":{}}}');
    const [request] = (await once(ws, 'message')) as [Buffer];
    const sampling = JSON.parse(request.toString()) as { id: number; method: string };
    assert.equal(sampling.method, 'sampling/createMessage');
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: sampling.id, result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'yes' } } }));
    const [result] = (await once(ws, 'message')) as [Buffer];
    const parsed = JSON.parse(result.toString()) as { id: number; result: { content: { text: string }[] } };
    assert.equal(parsed.id, 7);
    assert.match(parsed.result.content[0]!.text, /client said .*"id":900.*"text":"yes"/);
    const metrics = await (await fetch(warden.url('/metrics'))).text();
    assert.match(metrics, /mcp_warden_messages_total\{transport="websocket",upstream="ws",direction="to_client",method="sampling\/createMessage",outcome="forwarded"\} [1-9]/);
    ws.close();
  });

  it('refuses a frame it cannot parse with a JSON-RPC error and does not forward it', async () => {
    const ws = await connect();
    const before = upstreamReceived.length;
    ws.send('{"jsonrpc":"2.0","id":2,"method":"ping","method":"tools/call"}');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    const error = JSON.parse(reply.toString()) as { error: { code: number; data: { warden_code: string } } };
    assert.equal(error.error.code, -32700);
    assert.equal(error.error.data.warden_code, 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY');
    assert.equal(upstreamReceived.length, before);
    ws.close();
  });

  it('closes with 1003 on a binary frame (it cannot be a message to inspect)', async () => {
    const ws = await connect();
    const before = upstreamReceived.length;
    ws.send(Buffer.from('{"jsonrpc":"2.0","id":3,"method":"ping"}'), { binary: true });
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1003);
    assert.equal(upstreamReceived.length, before);
  });

  it("carries the upstream's close code to the client", async () => {
    const ws = await connect();
    ws.send('{"jsonrpc":"2.0","id":4001,"method":"ping"}');
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'upstream says bye');
  });

  it('closes the client when the upstream side dies', async () => {
    const ws = await connect();
    ws.send('{"jsonrpc":"2.0","id":4,"method":"ping"}');
    await once(ws, 'message');
    upstreamSockets.at(-1)!.terminate();
    const [code] = (await once(ws, 'close')) as [number];
    assert.ok(code === 1000 || code === 1011 || code === 1006, `closed with ${code}`);
  });

  it('closes the upstream side when the client goes away', async () => {
    const ws = await connect();
    ws.send('{"jsonrpc":"2.0","id":5,"method":"ping"}');
    await once(ws, 'message');
    const upstreamSide = upstreamSockets.at(-1)!;
    const closed = once(upstreamSide, 'close');
    ws.terminate();
    await closed;
    assert.equal(upstreamSide.readyState, WebSocket.CLOSED);
  });

  it('an invalid client handshake leaves no upstream socket open', async () => {
    const { request } = await import('node:http');
    const openBefore = upstreamSockets.filter((w) => w.readyState === WebSocket.OPEN).length;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(warden.url('/ws'), {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '99', 'sec-websocket-protocol': 'mcp' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => reject(new Error('an invalid handshake was upgraded')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(upstreamSockets.filter((w) => w.readyState === WebSocket.OPEN).length, openBefore, 'the upstream socket opened for it was closed');
  });

  it('refuses an upgrade from another site (Origin) before opening anything upstream', async () => {
    const before = upstreamSockets.length;
    const ws = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp'], { headers: { origin: 'http://evil.example' } });
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 403);
    assert.equal(upstreamSockets.length, before);
    ws.on('error', () => {}); // the client library reports the refused handshake as an error too
    ws.terminate();
  });
});
