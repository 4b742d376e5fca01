import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { addWardenTarget, type TestWarden } from '../../helpers/warden.ts';

/**
 * Legacy HTTP+SSE (2024-11-05) through mcp-warden against server-everything in sse mode: the
 * `endpoint` event names mcp-warden's own path, and POSTs for sessions the proxy does not know
 * are refused without reaching the upstream (which would never answer them).
 */
describe('legacy HTTP+SSE through mcp-warden', () => {
  let upstream: RunningPeer;
  let warden: TestWarden;
  let url = '';

  before(async () => {
    upstream = await startEverything('sse');
    warden = await addWardenTarget({ add: (_n, u) => (url = u) }, upstream.url, 'sse');
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
  });

  async function firstEvent(response: Response): Promise<string> {
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    return text.slice(0, text.indexOf('\n\n'));
  }

  it("rewrites the endpoint event to the proxy's own POST path", async () => {
    const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(response.status, 200);
    const event = await firstEvent(response);
    assert.match(event, /^event: endpoint$/m);
    const data = /^data: (.*)$/m.exec(event)?.[1] ?? '';
    assert.match(data, /^\/sse\/message\?sessionId=[\w-]+$/, `endpoint was ${data}`);
  });

  it('refuses a POST for an unknown sessionId with 404 (never forwarded)', async () => {
    const response = await fetch(warden.url('/sse/message?sessionId=not-a-session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { data: { warden_code: string } } }).error.data.warden_code, 'WARDEN_ERR_SESSION_UNKNOWN');
  });

  it('refuses a POST to the stream path and a GET to the message path (405)', async () => {
    assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 405);
    assert.equal((await fetch(warden.url('/sse/message'))).status, 405);
  });
});
