import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

const FRAME_BYTES = 256 * 1024;
const FRAMES = 200; // 50 MiB: far more than loopback socket buffers plus the proxy's high-water mark

/**
 * A sender faster than the receiver must be slowed down, not buffered without bound inside
 * mcp-warden. The upstream (a real `ws` server) stops reading; the client keeps sending. If the
 * proxy keeps reading regardless, every byte leaves the client (its bufferedAmount drains to 0)
 * and piles up in the proxy's memory. With backpressure, the proxy stops reading the client, so
 * most of the 50 MiB stays in the client's own buffer. Then the upstream reads again and every
 * frame arrives, in order: nothing was dropped.
 */
describe('WebSocket backpressure through mcp-warden', { timeout: 120_000 }, () => {
  let upstreamServer: WebSocketServer;
  let upstreamSocket: WebSocket | undefined;
  const received: number[] = [];
  let warden: TestWarden;

  before(async () => {
    upstreamServer = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
    await once(upstreamServer, 'listening');
    upstreamServer.on('connection', (ws) => {
      upstreamSocket = ws;
      ws.pause(); // a slow upstream: reads nothing until the test says so
      ws.on('message', (data) => received.push((JSON.parse(data.toString()) as { id: number }).id));
    });
    const { port } = upstreamServer.address() as AddressInfo;
    warden = await startTestWarden({
      upstreams: [{ name: 'slow', url: `ws://127.0.0.1:${port}/`, transport: 'websocket', path: '/ws' }],
      limits: { max_message_bytes: 300 * 1024 },
      policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA },
    });
  });
  after(async () => {
    await warden.close();
    upstreamSocket?.terminate();
    upstreamServer.close();
  });

  it('stops reading a client whose upstream does not read, then delivers every frame in order', async () => {
    const client = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp']);
    await once(client, 'open');
    const pad = 'x'.repeat(FRAME_BYTES);
    for (let id = 1; id <= FRAMES; id++) client.send(`{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"pad":"${pad}"}}`);

    // Wait for the proxy to have stopped reading (its metric says so), then let things settle.
    const paused = /mcp_warden_websocket_backpressure_pauses_total\{upstream="slow",direction="to_server"\} ([1-9]\d*)/;
    for (let i = 0; i < 100 && !paused.test(await (await fetch(warden.url('/metrics'))).text()); i++) await sleep(100);
    await sleep(1_000);
    assert.match(await (await fetch(warden.url('/metrics'))).text(), paused);
    // Kernel buffers on loopback hold a few MiB per socket; the rest must still be the client's.
    assert.ok(client.bufferedAmount > 20 * 1024 * 1024, `client still holds ${client.bufferedAmount} bytes; the proxy read everything`);
    assert.ok(received.length < FRAMES / 2, `upstream received ${received.length} frames while not reading`);

    upstreamSocket!.resume();
    for (let i = 0; i < 600 && received.length < FRAMES; i++) await sleep(100);
    assert.deepEqual(received, Array.from({ length: FRAMES }, (_, i) => i + 1));
    assert.equal(client.bufferedAmount, 0);
    client.close();
  });
});
