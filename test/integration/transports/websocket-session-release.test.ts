import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * A shared StateStore answers over the network, so a WebSocket may close before its session
 * binding is even written. No shared store runs here: a MemoryStateStore whose calls take 50 ms
 * (300 ms for the write that creates a binding) stands in for one; that delay is the only thing
 * not real. The binding must still be
 * released — a binding left behind would count against its principal's cap for good, refreshed by
 * nothing and released by nobody.
 */
class SlowStore extends MemoryStateStore {
  override async get(key: string) { await sleep(50); return super.get(key); }
  // The write that creates a binding is the slowest (a round trip more, say): it lands after a quick release.
  override async setIfAbsent(key: string, value: string, ttlMs?: number) { await sleep(300); return super.setIfAbsent(key, value, ttlMs); }
  override async delete(key: string) { await sleep(50); return super.delete(key); }
  override async addToBoundedSet(key: string, member: string, limit: number, ttlMs: number) { await sleep(50); return super.addToBoundedSet(key, member, limit, ttlMs); }
}

describe('WebSocket: a connection closed before its binding is written still releases it', { timeout: 30_000 }, () => {
  let upstreamServer: WebSocketServer;
  let warden: TestWarden;
  const store = new SlowStore();

  before(async () => {
    upstreamServer = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
    await once(upstreamServer, 'listening');
    const { port } = upstreamServer.address() as AddressInfo;
    warden = await startTestWarden(
      { upstreams: [{ name: 'ws', url: `ws://127.0.0.1:${port}/`, transport: 'websocket', path: '/ws' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } },
      { state: store },
    );
  });
  after(async () => {
    await warden.close();
    for (const ws of upstreamServer.clients) ws.terminate();
    upstreamServer.close();
  });

  it('leaves no session binding behind', async () => {
    const client = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp']);
    await once(client, 'open');
    client.terminate(); // gone while the binding is still on its way to the store
    for (let i = 0; i < 40 && (await store.keys('session:')).length > 0; i++) await sleep(100);
    await sleep(500); // a late bind would land now
    assert.deepEqual(await store.keys('session:'), []);
  });
});
