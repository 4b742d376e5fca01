import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * An upstream that sends JSON response headers and then a body that never completes. Only SSE
 * bodies are long-lived; this one must end in the upstream's timeout with a JSON-RPC error for
 * the request, not hold the client forever. A node:http server plays the stuck upstream.
 */
describe('Streamable HTTP: a JSON body from the upstream that never completes', { timeout: 30_000 }, () => {
  let upstream: Server;
  const stuck: ServerResponse[] = [];
  let warden: TestWarden;

  before(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0","id":1,'); // …and nothing more
      stuck.push(res);
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as AddressInfo;
    warden = await startTestWarden({
      upstreams: [{ name: 'stuck', url: `http://127.0.0.1:${port}/mcp`, path: '/mcp', timeout_ms: 1_000 }],
      policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA },
    });
  });
  after(async () => {
    await warden.close();
    for (const res of stuck) res.destroy();
    upstream.close();
  });

  it('answers the request with WARDEN_ERR_UPSTREAM_TIMEOUT once the upstream timeout passes', async () => {
    const response = await fetch(warden.url('/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { id: number; error: { data: { warden_code: string } } };
    assert.equal(body.id, 1);
    assert.equal(body.error.data.warden_code, 'WARDEN_ERR_UPSTREAM_TIMEOUT');
    const metrics = await (await fetch(warden.url('/metrics'))).text();
    assert.match(metrics, /mcp_warden_upstream_errors_total\{upstream="stuck",kind="timeout"\} [1-9]/);
  });
});
