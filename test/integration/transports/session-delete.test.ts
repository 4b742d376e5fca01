import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

/**
 * Ending a session with DELETE (Streamable HTTP), against server-everything, which answers 200
 * with an empty body: the client sees the same status directly and through mcp-warden, and the
 * session is gone from mcp-warden too (a later request with its id is an unknown session).
 */
describe('Streamable HTTP: DELETE ends a session', () => {
  let upstream: RunningPeer;
  let warden: TestWarden;

  before(async () => {
    upstream = await startEverything('streamableHttp');
    warden = await startTestWarden({ upstreams: [{ name: 'everything', url: upstream.url, path: '/mcp' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } });
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
  });

  async function openSession(url: string): Promise<string> {
    const response = await fetch(url, { method: 'POST', headers, body: initialize, signal: AbortSignal.timeout(10_000) });
    await response.text();
    const id = response.headers.get('mcp-session-id');
    assert.ok(id, 'initialize opened a session');
    await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' }).then((r) => r.text());
    return id;
  }

  async function end(url: string, id: string): Promise<{ status: number; body: string }> {
    const response = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  }

  it('answers with the upstream status, directly and through mcp-warden, and forgets the session', async () => {
    const direct = await end(upstream.url, await openSession(upstream.url));
    const id = await openSession(warden.url('/mcp'));
    const proxied = await end(warden.url('/mcp'), id);
    assert.equal(direct.status, 200);
    assert.deepEqual(proxied, { status: direct.status, body: '' });

    const after = await fetch(warden.url('/mcp'), { method: 'POST', headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }, body: '{"jsonrpc":"2.0","id":2,"method":"ping"}' });
    assert.equal(after.status, 404);
    assert.equal(((await after.json()) as { error: { data: { warden_code: string } } }).error.data.warden_code, 'WARDEN_ERR_SESSION_UNKNOWN');
  });
});
