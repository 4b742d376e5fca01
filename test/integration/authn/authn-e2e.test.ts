import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { generateApiKey, hashApiKey } from '../../../src/authn/api-key-format.ts';
import { connectClient, runInspectorCli, startEverything, startSupergatewayWs, type ClientTransportKind, type RunningPeer } from '../../helpers/peers.ts';
import { makeSigningKey, mint, startJwksServer, type SigningKey } from '../../helpers/jwks-server.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { startTcpTap } from './tcp-tap.ts';

/**
 * Identity at the edge, end to end: mcp-warden in front of real MCP servers (server-everything,
 * supergateway) on every transport, a real JWKS over HTTP, SDK clients and the Inspector CLI
 * passing credentials. A TCP tap in front of each upstream records every byte the upstream
 * receives: the client's Authorization, cookie and API-key header must never be among them, and
 * the proxy's own upstream credential must be.
 */
const UPSTREAM_TOKEN = 'proxy-own-upstream-credential-7f3a';
const COOKIE = 'session=client-cookie-value-91c2';

const cases: { transport: ClientTransportKind; path: string; start: () => Promise<RunningPeer> }[] = [
  { transport: 'streamable-http', path: '/mcp', start: () => startEverything('streamableHttp') },
  { transport: 'sse', path: '/sse', start: () => startEverything('sse') },
  { transport: 'websocket', path: '/ws', start: () => startSupergatewayWs() },
];

let key: SigningKey;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
let dir: string;
const apiKey = generateApiKey();

before(async () => {
  key = await makeSigningKey('e2e');
  jwks = await startJwksServer([key]);
  dir = mkdtempSync(join(tmpdir(), 'warden-authn-e2e-'));
  writeFileSync(join(dir, 'upstream-token'), `${UPSTREAM_TOKEN}\n`);
});
after(async () => {
  await jwks.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const { transport, path, start } of cases) {
  describe(`authn end to end over ${transport}`, () => {
    let upstream: RunningPeer;
    let tap: Awaited<ReturnType<typeof startTcpTap>>;
    let warden: TestWarden;
    let url: string;
    let resource: string;
    const auditFile = () => join(dir, `audit-${transport}.jsonl`);

    before(async () => {
      upstream = await start();
      tap = await startTcpTap(upstream.port);
      const tapped = upstream.url.replace(`:${upstream.port}`, `:${tap.port}`);
      warden = await startTestWarden(
        {
          upstreams: [{ name: 'everything', url: tapped, transport, path, auth: { scheme: 'Bearer', value_file: 'upstream-token' } }],
          policy: { bundle: join(process.cwd(), 'policies'), data: { tools: { echo: 'read', 'get-sum': 'read' } } },
          auth: {
            mode: ['jwt', 'api_key'],
            authorization_servers: [jwks.issuer],
            jwt: { issuer: jwks.issuer, jwks_url: jwks.url, algorithms: ['RS256'] },
            api_key: { keys: [{ name: 'ci-bot', hash: hashApiKey(apiKey), roles: ['operator'] }] },
          },
          audit: { sinks: [{ type: 'file', path: auditFile() }], spool: { dir: join(dir, `spool-${transport}`) } },
        },
        { baseDir: dir },
      );
      url = transport === 'websocket' ? warden.url(path).replace(/^http/, 'ws') : warden.url(path);
      resource = warden.url(path);
    });
    after(async () => {
      await warden?.close();
      await tap?.close();
      await upstream?.close();
    });

    it('a client with a JWT (plus a cookie and an API-key header) calls a tool; the upstream never sees them', async () => {
      const token = await mint(key, { issuer: jwks.issuer, audience: resource, subject: 'alice', claims: { roles: ['operator'] } });
      const client = await connectClient(url, transport, { headers: { authorization: `Bearer ${token}`, cookie: COOKIE, 'x-api-key': apiKey } });
      try {
        const result = await client.callTool({ name: 'echo', arguments: { message: 'hello through the edge' } });
        assert.match(JSON.stringify(result.content), /hello through the edge/);
      } finally {
        await client.close();
      }
      const seen = tap.received();
      assert.ok(seen.length > 0, 'the upstream received traffic');
      assert.ok(!seen.includes(token), 'the client JWT reached the upstream');
      assert.ok(!seen.includes(token.split('.')[1]!), 'part of the client JWT reached the upstream');
      assert.ok(!seen.includes('client-cookie-value-91c2'), 'the client cookie reached the upstream');
      assert.ok(!seen.includes(apiKey), 'the client API key reached the upstream');
      assert.ok(seen.includes(`Bearer ${UPSTREAM_TOKEN}`), 'the proxy’s own upstream credential was injected');
    });

    it('an API key (Authorization: Bearer mcpw_…) works and does not reach the upstream', async () => {
      const client = await connectClient(url, transport, { headers: { authorization: `Bearer ${apiKey}` } });
      try {
        const result = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
        assert.match(JSON.stringify(result.content), /42/);
      } finally {
        await client.close();
      }
      assert.ok(!tap.received().includes(apiKey));
    });

    it('no credential, an expired token, a token for the upstream: refused before the upstream sees anything', async () => {
      // Count request heads (a WebSocket close frame from an earlier connection may still trickle in).
      const requests = () => (tap.received().match(/(?:^|\r\n)(?:GET|POST|DELETE) \S+ HTTP\/1\.1\r\n/g) ?? []).length;
      const before = requests();
      await assert.rejects(connectClient(url, transport, { timeoutMs: 5_000 }));
      const expired = await mint(key, { issuer: jwks.issuer, audience: resource, expiresIn: -120 });
      await assert.rejects(connectClient(url, transport, { headers: { authorization: `Bearer ${expired}` }, timeoutMs: 5_000 }));
      const forUpstream = await mint(key, { issuer: jwks.issuer, audience: upstream.url });
      await assert.rejects(connectClient(url, transport, { headers: { authorization: `Bearer ${forUpstream}` }, timeoutMs: 5_000 }));
      assert.ok(before > 0);
      assert.equal(requests(), before, 'refused requests must not reach the upstream');
    });

    if (transport === 'websocket') {
      it('a WebSocket opened with a token that expires is closed when it expires (1008)', async () => {
        const token = await mint(key, { issuer: jwks.issuer, audience: resource, expiresIn: 2, claims: { roles: ['operator'] } });
        const ws = new WebSocket(url, ['mcp'], { headers: { authorization: `Bearer ${token}` } });
        const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
        assert.equal(code, 1008);
      });
    }

    if (transport !== 'websocket') {
      it('an SSE stream opened with a token that expires ends when it expires', async () => {
        const token = await mint(key, { issuer: jwks.issuer, audience: resource, expiresIn: 3, claims: { roles: ['operator'] } });
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
        if (transport === 'streamable-http') {
          // A server stream needs a session: open one with the same short-lived token.
          const init = await fetch(url, {
            method: 'POST',
            headers: { ...headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
            body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}',
          });
          assert.equal(init.status, 200);
          await init.text();
          headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
          headers['mcp-protocol-version'] = '2025-11-25';
        }
        const opened = Date.now();
        const stream = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
        assert.equal(stream.status, 200);
        // Read until the stream ends; an abort after 15 s would reject here and fail the test.
        const reader = stream.body!.getReader();
        while (!(await reader.read()).done);
        const lived = Date.now() - opened;
        assert.ok(lived < 8_000, `stream ended after ${lived} ms, not at the token's expiry`);
      });
    }
  });
}

describe('HTTP-level behaviour (Streamable HTTP)', () => {
  let upstream: RunningPeer;
  let warden: TestWarden;
  const auditFile = () => join(dir, 'audit-http.jsonl');

  before(async () => {
    upstream = await startEverything('streamableHttp');
    warden = await startTestWarden(
      {
        upstreams: [{ name: 'everything', url: upstream.url, path: '/mcp' }],
        policy: { bundle: join(process.cwd(), 'policies'), data: { tools: { echo: 'read' } } },
        auth: {
          mode: 'jwt',
          authorization_servers: [jwks.issuer],
          jwt: { issuer: jwks.issuer, jwks_url: jwks.url, algorithms: ['RS256'] },
        },
        audit: { sinks: [{ type: 'file', path: auditFile() }], spool: { dir: join(dir, 'spool-http') } },
      },
      { baseDir: dir },
    );
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
  });

  const initialize = (headers: Record<string, string>, url = warden.url('/mcp')) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      signal: AbortSignal.timeout(10_000),
    });

  it('401 names the RFC 9728 metadata, and the metadata names the resource and the authorization server', async () => {
    const res = await initialize({});
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    const challenge = res.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    assert.equal(metadataUrl, warden.url('/.well-known/oauth-protected-resource/mcp'));
    const doc = (await (await fetch(metadataUrl!)).json()) as Record<string, unknown>;
    assert.equal(doc.resource, warden.url('/mcp'));
    assert.deepEqual(doc.authorization_servers, [jwks.issuer]);
  });

  it('a token in the query string is refused (400) even when valid', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: warden.url('/mcp') });
    const res = await initialize({}, warden.url(`/mcp?access_token=${token}`));
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });

  it('a session id replayed by another principal is answered 404 like an unknown session, and audited', async () => {
    const alice = await mint(key, { issuer: jwks.issuer, audience: warden.url('/mcp'), subject: 'alice', claims: { roles: ['operator'] } });
    const bob = await mint(key, { issuer: jwks.issuer, audience: warden.url('/mcp'), subject: 'bob', claims: { roles: ['operator'] } });
    const opened = await initialize({ authorization: `Bearer ${alice}` });
    assert.equal(opened.status, 200);
    await opened.arrayBuffer();
    const sessionId = opened.headers.get('mcp-session-id');
    assert.ok(sessionId);
    const call = (token: string) =>
      fetch(warden.url('/mcp'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
        signal: AbortSignal.timeout(10_000),
      });
    const replay = await call(bob);
    assert.equal(replay.status, 404);
    await replay.arrayBuffer();
    const owner = await call(alice);
    assert.equal(owner.status, 200);
    await owner.arrayBuffer();
  });

  it('the Inspector CLI gets a clear refusal without a token and succeeds with one', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: warden.url('/mcp'), claims: { roles: ['operator'] } });
    const ok = await runInspectorCli(warden.url('/mcp'), ['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=inspector-ok'], { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /inspector-ok/);
    const refused = await runInspectorCli(warden.url('/mcp'), ['--method', 'tools/list']);
    assert.notEqual(refused.code, 0);
  });

  it('audit: authentication failures and the session replay are events, without any token', async () => {
    await warden.close();
    const text = readFileSync(auditFile(), 'utf8');
    assert.match(text, /authn\.failure/);
    assert.match(text, /session\.binding_refused/);
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/, 'a JWT appears in the audit trail');
  });
});
