import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startRecordingUpstream } from '../../helpers/recording-upstream.ts';
import { TRANSPARENT_POLICY_DATA, startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * The "one parse" invariant at the HTTP edge (issue 2, item 7): every ambiguous or malformed
 * input is refused with a fitting HTTP status and a JSON-RPC error, and the upstream receives
 * nothing. Real mcp-warden, real node:http upstream that records what reached it.
 */
describe('refusals before the upstream (Streamable HTTP)', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let warden: TestWarden;

  before(async () => {
    upstream = await startRecordingUpstream();
    warden = await startTestWarden({
      upstreams: [{ name: 'rec', url: upstream.url, path: '/mcp' }],
      policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA },
      limits: { max_message_bytes: 64 * 1024, max_json_depth: 32 },
    });
  });
  after(async () => {
    await warden.close();
    await upstream.close();
  });

  const call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}';

  // node:http rather than fetch: fetch silently drops a Host header, and these tests must put
  // exactly the given headers on the wire.
  function post(body: string | Buffer, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; text: string; json: { error?: { code: number; data?: { warden_code?: string } } } | undefined }>((resolve, reject) => {
      const req = request(warden.url('/mcp'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, text, json: text === '' ? undefined : JSON.parse(text) });
        });
      });
      req.end(body);
    });
  }

  const cases: { name: string; body: string | Buffer; headers?: Record<string, string>; status: number; code: number; warden: string }[] = [
    { name: 'duplicate keys', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list"}', status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY' },
    { name: 'duplicate keys after unescaping', body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"name":"a","\\u006eame":"b"}}', status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY' },
    { name: 'invalid UTF-8', body: Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]), status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_INVALID_UTF8' },
    { name: 'lone surrogate', body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800"}}', status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_LONE_SURROGATE' },
    { name: 'not JSON', body: '{"jsonrpc":"2.0",', status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_PARSE' },
    { name: 'trailing garbage', body: `${call} x`, status: 400, code: -32700, warden: 'WARDEN_ERR_JSONRPC_PARSE' },
    { name: 'wrong Content-Type', body: call, headers: { 'content-type': 'text/plain' }, status: 415, code: -32600, warden: 'WARDEN_ERR_HTTP_CONTENT_TYPE' },
    { name: 'non-UTF-8 charset', body: call, headers: { 'content-type': 'application/json; charset=latin1' }, status: 415, code: -32600, warden: 'WARDEN_ERR_HTTP_CONTENT_TYPE' },
    { name: 'unknown Content-Encoding', body: call, headers: { 'content-encoding': 'gzip' }, status: 415, code: -32600, warden: 'WARDEN_ERR_HTTP_CONTENT_ENCODING' },
    { name: 'a number, not a message', body: '42', status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_INVALID_REQUEST' },
    { name: 'wrong jsonrpc version', body: '{"jsonrpc":"1.0","id":1,"method":"ping"}', status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_INVALID_REQUEST' },
    { name: 'batch in 2025-06-18', body: `[${call}]`, headers: { 'mcp-protocol-version': '2025-06-18' }, status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN' },
    { name: 'batch in 2026-07-28', body: `[${call}]`, headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN' },
    { name: 'empty batch', body: '[]', headers: { 'mcp-protocol-version': '2025-03-26' }, status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_EMPTY_BATCH' },
    { name: 'too deep', body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`, status: 400, code: -32600, warden: 'WARDEN_ERR_JSONRPC_NESTING' },
    { name: 'too large', body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(70 * 1024)}"}}`, status: 413, code: -32600, warden: 'WARDEN_ERR_SIZE_REQUEST_TOO_LARGE' },
    { name: 'Mcp-Method disagrees with the body (2026-07-28)', body: call, headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', 'mcp-name': 'echo' }, status: 400, code: -32020, warden: 'WARDEN_ERR_HTTP_HEADER_MISMATCH' },
    { name: 'Mcp-Name disagrees with the body (2026-07-28)', body: call, headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get-env' }, status: 400, code: -32020, warden: 'WARDEN_ERR_HTTP_HEADER_MISMATCH' },
    { name: 'Host of another site (DNS rebinding)', body: call, headers: { host: 'evil.example:80' }, status: 403, code: -32600, warden: 'WARDEN_ERR_HTTP_HOST' },
    { name: 'Origin of another site', body: call, headers: { origin: 'http://evil.example' }, status: 403, code: -32600, warden: 'WARDEN_ERR_HTTP_ORIGIN' },
    { name: 'a session this proxy never opened', body: call, headers: { 'mcp-session-id': 'made-up' }, status: 404, code: -32001, warden: 'WARDEN_ERR_SESSION_UNKNOWN' },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}: ${c.status} ${c.code}, upstream receives nothing`, async () => {
      const before = upstream.received.length;
      const { status, json } = await post(c.body, c.headers);
      assert.equal(status, c.status);
      assert.equal(json?.error?.code, c.code);
      assert.equal(json?.error?.data?.warden_code, c.warden);
      assert.equal(upstream.received.length, before, 'the upstream must not receive a refused message');
    });
  }

  it('forwards a well-formed call with exactly the bytes it evaluated', async () => {
    const before = upstream.received.length;
    const { status } = await post(call);
    assert.equal(status, 200);
    assert.equal(upstream.received.length, before + 1);
    assert.equal(upstream.received.at(-1)!.body.toString(), call);
  });

  it('never forwards the client Host, Authorization or cookies', async () => {
    await post(call, { authorization: 'Bearer client-secret', cookie: 'sid=client-cookie', 'x-api-key': 'k' });
    const headers = upstream.received.at(-1)!.headers;
    assert.equal(headers.authorization, undefined);
    assert.equal(headers.cookie, undefined);
    assert.equal(headers['x-api-key'], undefined);
    assert.notEqual(headers.host, new URL(warden.origin).host);
  });

  it('refuses an upstream reply it cannot inspect (duplicate keys) and answers the request with an error', async () => {
    upstream.setReply((_req, res) => {
      const body = '{"jsonrpc":"2.0","id":1,"result":{"content":[]},"result":{"content":[{"type":"text","text":"smuggled"}]}}';
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    try {
      const { status, text, json } = await post(call);
      assert.equal(status, 200);
      assert.equal(json?.error?.data?.warden_code, 'WARDEN_ERR_UPSTREAM_PROTOCOL');
      assert.doesNotMatch(text, /smuggled/);
    } finally {
      upstream.setReply((req, res) => import('../../helpers/recording-upstream.ts').then((m) => m.defaultReply(req, res)));
    }
  });

  it('refuses an upstream reply larger than the limit instead of passing it through', async () => {
    upstream.setReply((_req, res) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'z'.repeat(100 * 1024) }] } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    try {
      const { status, text, json } = await post(call);
      assert.equal(status, 200);
      assert.equal(json?.error?.data?.warden_code, 'WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE');
      assert.ok(text.length < 1024);
    } finally {
      upstream.setReply((req, res) => import('../../helpers/recording-upstream.ts').then((m) => m.defaultReply(req, res)));
    }
  });
});
