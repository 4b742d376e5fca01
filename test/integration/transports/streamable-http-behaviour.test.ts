import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRecordingUpstream, defaultReply } from '../../helpers/recording-upstream.ts';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * Streamable HTTP behaviour a client sees through mcp-warden (issue 2, items 4 and 10): SSE replies
 * streamed event by event, MCP headers reaching the upstream, upstream status codes reaching the
 * client unchanged, and the operations endpoints.
 */
describe('Streamable HTTP through mcp-warden', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let warden: TestWarden;
  const call = '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{}}}';
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  before(async () => {
    upstream = await startRecordingUpstream();
    warden = await startTestWarden({ upstreams: [{ name: 'rec', url: upstream.url, path: '/mcp' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } });
  });
  after(async () => {
    await warden.close();
    await upstream.close();
  });

  it('streams an SSE reply event by event: the first event arrives while the upstream still holds the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    upstream.setReply(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: e1\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n`);
      await released;
      res.end(`id: e2\nevent: message\ndata: {"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"done"}]}}\n\n`);
    });
    const response = await fetch(warden.url('/mcp'), { method: 'POST', headers, body: call });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    // SSE field order within an event carries no meaning; the fields and their values do.
    assert.match(text, /^(?=[^]*^id: e1$)(?=[^]*^event: message$)(?=[^]*^data: .*notifications\/progress)/m);
    assert.doesNotMatch(text, /done/, 'the result must not have arrived yet');
    release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const second = text.split('\n\n')[1] ?? '';
    assert.match(second, /^id: e2$/m);
    assert.match(second, /^data: \{"jsonrpc":"2.0","id":3,"result"/m);
    upstream.setReply(defaultReply);
  });

  it('carries the MCP headers to the upstream, and only those', async () => {
    upstream.setReply(defaultReply);
    await fetch(warden.url('/mcp'), {
      method: 'POST',
      headers: {
        ...headers,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'slow',
        'mcp-param-region': 'eu',
        'last-event-id': 'e9',
        'x-forwarded-for': '10.9.9.9',
        'x-custom': 'nope',
      },
      body: call,
    });
    const seen = upstream.received.at(-1)!.headers;
    assert.equal(seen['mcp-protocol-version'], '2026-07-28');
    assert.equal(seen['mcp-method'], 'tools/call');
    assert.equal(seen['mcp-name'], 'slow');
    assert.equal(seen['mcp-param-region'], 'eu');
    assert.equal(seen['last-event-id'], 'e9');
    assert.equal(seen['x-custom'], undefined);
    assert.equal(seen['x-forwarded-for'], undefined);
  });

  for (const status of [400, 404, 405, 406, 409, 415]) {
    it(`passes upstream status ${status} to the client unchanged`, async () => {
      upstream.setReply((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"refused by upstream"}}');
      });
      const response = await fetch(warden.url('/mcp'), { method: 'POST', headers, body: call });
      assert.equal(response.status, status);
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(body.error.message, 'refused by upstream');
    });
  }

  it('passes an upstream status with a non-JSON body as the same status with a JSON-RPC error of its own', async () => {
    upstream.setReply((_req, res) => {
      res.writeHead(406, { 'content-type': 'text/plain' }).end('Not Acceptable: secret internal detail');
    });
    const response = await fetch(warden.url('/mcp'), { method: 'POST', headers, body: call });
    assert.equal(response.status, 406);
    const text = await response.text();
    assert.doesNotMatch(text, /secret internal detail/, 'an uninspected body is never passed through');
    assert.equal((JSON.parse(text) as { error: { data: { upstream_status: number } } }).error.data.upstream_status, 406);
    upstream.setReply(defaultReply);
  });

  it('answers 202 for a notification the upstream accepted', async () => {
    upstream.setReply(defaultReply);
    const response = await fetch(warden.url('/mcp'), { method: 'POST', headers, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
    assert.equal(response.status, 202);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    assert.equal((await fetch(warden.url('/healthz'))).status, 200);
    const ready = await fetch(warden.url('/readyz'));
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks['upstream:rec'], 'ok');
    const metrics = await (await fetch(warden.url('/metrics'))).text();
    assert.match(metrics, /mcp_warden_messages_total\{transport="streamable-http",upstream="rec",direction="to_server",method="tools\/call",outcome="forwarded"\} \d+/);
    assert.match(metrics, /mcp_warden_pipeline_duration_seconds_bucket/);
    assert.match(metrics, /mcp_warden_exchange_duration_seconds_count\{transport="streamable-http",upstream="rec",method="tools\/call"\} [1-9]/);
    assert.match(metrics, /mcp_warden_open_streams/);
    // Bounded labels: no label names a session or request, and no label value looks like an id.
    for (const [, labels] of metrics.matchAll(/^[a-z_]+\{([^}]*)\}/gm)) {
      for (const [, name, value] of labels!.matchAll(/([a-z_]+)="([^"]*)"/g)) {
        assert.doesNotMatch(name!, /session|request_id|decision/, `label ${name}`);
        assert.doesNotMatch(value!, /^[0-9a-f]{8}-[0-9a-f]{4}-|^[0-9a-f]{32,}$/, `label ${name}="${value}" looks like an id`);
      }
    }
  });

  it('reports not ready when the upstream is down, and 502 for a request', async () => {
    const down = await startTestWarden({ upstreams: [{ name: 'down', url: 'http://127.0.0.1:1/mcp', path: '/mcp' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } });
    try {
      const ready = await fetch(down.url('/readyz'));
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks['upstream:down'], 'unreachable');
      const response = await fetch(down.url('/mcp'), { method: 'POST', headers, body: call });
      assert.equal(response.status, 502);
      assert.equal(((await response.json()) as { error: { data: { warden_code: string } } }).error.data.warden_code, 'WARDEN_ERR_UPSTREAM_UNAVAILABLE');
    } finally {
      await down.close();
    }
  });

  it('every log line about a refused message carries its decision id', async () => {
    await fetch(warden.url('/mcp'), { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'x' }, body: call });
    const refused = warden.logs().filter((l) => l.msg === 'message refused');
    for (const line of refused) assert.match(String(line.decision_id), /^[0-9a-f-]{36}$/);
  });
});

describe('Streamable HTTP sessions through mcp-warden', () => {
  it('pairs the initialize reply with its request: the version negotiated there decides batching', async () => {
    let sessions = 0;
    const upstream = await startRecordingUpstream((req, res) => {
      const m = JSON.parse(req.body.toString()) as { id?: number; method?: string; params?: { protocolVersion?: string } } | { id?: number }[];
      if (!Array.isArray(m) && m.method === 'initialize') {
        const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion, capabilities: {}, serverInfo: { name: 'up', version: '1' } } });
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `sess-${++sessions}` }).end(body);
        return;
      }
      const replies = (Array.isArray(m) ? m : [m]).map((x) => ({ jsonrpc: '2.0', id: x.id, result: {} }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(m) ? replies : replies[0]));
    });
    const warden = await startTestWarden({ upstreams: [{ name: 'up', url: upstream.url, path: '/mcp' }], policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const open = async (version: string) => {
      const init = await fetch(warden.url('/mcp'), { method: 'POST', headers, body: `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"${version}","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` });
      assert.equal(init.status, 200);
      await init.text();
      return init.headers.get('mcp-session-id')!;
    };
    // No MCP-Protocol-Version header on these batches: only the version negotiated in the session decides.
    const batch = (session: string) => fetch(warden.url('/mcp'), { method: 'POST', headers: { ...headers, 'mcp-session-id': session }, body: '[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]' });
    try {
      const old = await open('2025-03-26');
      const allowed = await batch(old);
      assert.equal(allowed.status, 200);
      assert.deepEqual(((await allowed.json()) as { id: number }[]).map((r) => r.id), [2, 3]);
      const newer = await open('2025-06-18');
      const before = upstream.received.length;
      const refused = await batch(newer);
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: { data: { warden_code: string } } }).error.data.warden_code, 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN');
      assert.equal(upstream.received.length, before);
    } finally {
      await warden.close();
      await upstream.close();
    }
  });
});
