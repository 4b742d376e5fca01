import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * A legacy SSE upstream that names two POST endpoints on one stream (a protocol violation; a
 * misbehaving or hostile server). A real server does not do this, so a node:http server plays it.
 * mcp-warden must not leave the first session registered and bound while the stream goes on: the
 * stream ends, neither session id is accepted afterwards, and nothing reaches the upstream's
 * message endpoint.
 */
describe('legacy SSE: a second endpoint event on one stream', { timeout: 30_000 }, () => {
  let upstream: Server;
  const upstreamPosts: string[] = [];
  let warden: TestWarden;

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.method === 'POST') {
        upstreamPosts.push(req.url ?? '');
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /message?sessionId=first\n\n');
      setTimeout(() => res.write('event: endpoint\ndata: /message?sessionId=second\n\n'), 200);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as AddressInfo;
    warden = await startTestWarden({
      upstreams: [{ name: 'legacy', url: `http://127.0.0.1:${port}/sse`, transport: 'sse', path: '/sse' }],
      policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA },
    });
  });
  after(async () => {
    await warden.close();
    upstream.closeAllConnections();
    upstream.close();
  });

  it('ends the stream after the first endpoint and forgets both session ids', async () => {
    const response = await fetch(warden.url('/sse'), { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    const text = await response.text(); // resolves only because mcp-warden ends the stream
    assert.equal(text.match(/^event: endpoint$/gm)?.length, 1, text);
    assert.match(text, /^data: \/sse\/message\?sessionId=first$/m);
    assert.doesNotMatch(text, /second/);

    for (const id of ['first', 'second']) {
      const post = await fetch(warden.url(`/sse/message?sessionId=${id}`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(post.status, 404, `sessionId ${id}`);
    }
    assert.deepEqual(upstreamPosts, []);
  });
});
