import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { mint } from '../../helpers/jwks-server.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { CLIENT_ID, CLIENT_SECRET, startAuthorizationServer, type AuthorizationServer } from './authorization-server.ts';
import { startMcpRemote, type McpRemote } from './mcp-remote.ts';
import { startTcpTap } from './tcp-tap.ts';

/**
 * mcp-remote, the bridge Claude Desktop users run, against mcp-warden (JWT, RFC 9728) in front of
 * server-everything: with a bearer token passed as a header, and without one, where it has to
 * find its way from the 401 through the Protected Resource Metadata to the authorization server
 * (a real one, see authorization-server.ts) and back with a token for this resource. TCP taps
 * record what mcp-remote sent to mcp-warden and what each upstream received.
 */
type Tap = Awaited<ReturnType<typeof startTcpTap>>;

let as: AuthorizationServer;
let streamable: RunningPeer;
let legacy: RunningPeer;
let upstreamTaps: Tap[];
let warden: TestWarden;
let wardenTap: Tap;
let dir: string;
let remote: McpRemote | undefined;
const origin = () => `http://127.0.0.1:${wardenTap.port}`;
const tokensSeen: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-mcp-remote-e2e-'));
  as = await startAuthorizationServer();
  streamable = await startEverything('streamableHttp');
  legacy = await startEverything('sse');
  upstreamTaps = [await startTcpTap(streamable.port), await startTcpTap(legacy.port)];
  const via = (peer: RunningPeer, tap: Tap) => peer.url.replace(`:${peer.port}`, `:${tap.port}`);
  warden = await startTestWarden(
    {
      upstreams: [
        { name: 'everything', url: via(streamable, upstreamTaps[0]!), path: '/mcp' },
        { name: 'legacy', url: via(legacy, upstreamTaps[1]!), transport: 'sse', path: '/sse' },
      ],
      policy: { bundle: join(process.cwd(), 'policies'), data: { tools: { echo: 'read', 'get-sum': 'read' } } },
      auth: { mode: 'jwt', authorization_servers: [as.issuer], jwt: { issuer: as.issuer, jwks_url: as.jwksUrl, algorithms: ['RS256'] } },
      audit: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }], spool: { dir: join(dir, 'spool') } },
    },
    { baseDir: dir },
  );
  // mcp-remote talks to mcp-warden through a tap, so that the test sees what it asked for.
  wardenTap = await startTcpTap(warden.address.port);
});
afterEach(async () => {
  await remote?.stop();
  remote = undefined;
});
after(async () => {
  await warden?.close();
  await wardenTap?.close();
  for (const tap of upstreamTaps ?? []) await tap.close();
  await streamable?.close();
  await legacy?.close();
  await as?.close();
  rmSync(dir, { recursive: true, force: true });
});

const INITIALIZE = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'warden-test', version: '1' } };

/** initialize, tools/list and a tools/call over mcp-remote's stdio, as an MCP host would. */
async function useTools(r: McpRemote, message: string, initialized?: Promise<Record<string, unknown>>): Promise<void> {
  const init = await (initialized ?? r.request('initialize', INITIALIZE));
  assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}\n${r.stderr().slice(-3000)}`);
  assert.match(JSON.stringify(init.result), /serverInfo/);
  r.notify('notifications/initialized');
  const list = await r.request('tools/list');
  const names = ((list.result as { tools?: { name: string }[] } | undefined)?.tools ?? []).map((t) => t.name);
  assert.ok(names.includes('echo'), `tools/list: ${JSON.stringify(list)}`);
  const call = await r.request('tools/call', { name: 'echo', arguments: { message } });
  assert.match(JSON.stringify(call.result), new RegExp(message));
}

for (const [transport, path] of [
  ['http-only', '/mcp'],
  ['sse-only', '/sse'],
] as const) {
  it(`mcp-remote --transport ${transport} with --header "Authorization: Bearer …" lists and calls tools through mcp-warden`, async () => {
    const token = await mint(as.key, { issuer: as.issuer, audience: `${origin()}${path}`, claims: { roles: ['operator'] } });
    tokensSeen.push(token);
    remote = startMcpRemote(`${origin()}${path}`, ['--transport', transport, '--header', `Authorization:Bearer ${token}`]);
    await useTools(remote, `header-${transport}`);
    assert.ok(wardenTap.received().includes(token), 'the token went to mcp-warden');
  });
}

it('mcp-remote without a credential: 401 → resource_metadata → PRM → authorization server; the user signs in and the tools work', async () => {
  const resource = `${origin()}/mcp`;
  remote = startMcpRemote(resource, ['--transport', 'http-only', '--auth-timeout', '60']);
  const initialized = remote.request('initialize', INITIALIZE, 60_000);
  initialized.catch(() => {}); // awaited below; a failure before that must not surface as unhandled
  // What the user sees: where mcp-remote found the authorization server, and where to sign in.
  const shown = await remote.waitForStderr(/Please authorize this client by visiting:\s*\n(\S+)/);
  assert.match(shown, new RegExp(`Discovered authorization server: ${as.issuer}`));
  const signIn = new URL(/Please authorize this client by visiting:\s*\n(\S+)/.exec(shown)![1]!);
  assert.equal(`${signIn.origin}${signIn.pathname}`, `${as.issuer}/authorize`);
  assert.equal(signIn.searchParams.get('resource'), resource, 'the RFC 8707 resource is the one the PRM names');
  assert.equal(signIn.searchParams.get('code_challenge_method'), 'S256');
  // The discovery, on the wire: the 401's resource_metadata, then the metadata document.
  assert.match(wardenTap.replies(), new RegExp(`HTTP/1\\.1 401 [^\r]*\r\n(?:[^\r]+\r\n)*www-authenticate: Bearer resource_metadata="${origin()}/\\.well-known/oauth-protected-resource/mcp"`, 'i'));
  assert.match(wardenTap.received(), /GET \/\.well-known\/oauth-protected-resource\/mcp HTTP\/1\.1/);
  assert.ok(as.requests.some((r) => r.path === '/.well-known/oauth-authorization-server'));
  assert.ok(as.requests.some((r) => r.path === '/register'), 'dynamic client registration');
  // The proxy's side of the first request: refused for a missing credential (logged; not an audit event by design).
  assert.ok(warden.logs().some((l) => l.msg === 'authentication refused' && l.reason === 'missing' && l.upstream === 'everything'));
  // mcp-remote handed the URL to "the browser" (a script that records it); the test plays the user.
  await remote.waitForStderr(/Browser opened automatically/);
  const opened = new URL(remote.browserUrls()[0] ?? 'about:blank');
  assert.equal(`${opened.origin}${opened.pathname}`, `${as.issuer}/authorize`);
  assert.equal(opened.searchParams.get('state'), signIn.searchParams.get('state'));
  const callback = await fetch(signIn, { redirect: 'follow' });
  assert.equal(callback.status, 200);
  await callback.arrayBuffer();
  await useTools(remote, 'after-sign-in', initialized);
  const issued = as.issued.at(-1)!;
  assert.deepEqual([issued.grant, issued.audience], ['authorization_code', resource]);
  tokensSeen.push(issued.token);
});

it('mcp-remote --client-credentials (no browser, no user): discovery, a token for this resource, tools', async () => {
  const resource = `${origin()}/mcp`;
  remote = startMcpRemote(resource, ['--transport', 'http-only', '--client-credentials', '--static-oauth-client-info', JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET })]);
  await useTools(remote, 'client-credentials');
  const issued = as.issued.at(-1)!;
  assert.deepEqual([issued.grant, issued.audience], ['client_credentials', resource]);
  assert.equal(remote.browserUrls().length, 0);
  tokensSeen.push(issued.token);
});

it('a token the authorization server minted for another audience: mcp-remote gives up with a clear error, mcp-warden audits wrong_audience', async () => {
  remote = startMcpRemote(`${origin()}/mcp`, [
    '--transport',
    'http-only',
    '--client-credentials',
    '--static-oauth-client-info',
    JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    '--disable-resource-parameter', // so the authorization server mints a token for itself
  ]);
  const failed = remote.request('initialize', INITIALIZE, 30_000).catch((err: unknown) => err);
  const code = await Promise.race([remote.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
  assert.notEqual(code, 'hung', 'mcp-remote did not give up');
  assert.notEqual(code, 0);
  assert.match(remote.stderr(), /Fatal error: .*Giving up[\s\S]*UnauthorizedError: Unauthorized/);
  assert.ok(as.issued.some((i) => i.audience === as.issuer));
  tokensSeen.push(...as.issued.filter((i) => i.audience === as.issuer).map((i) => i.token));
  void failed;
});

describe('on the proxy side, after all of the above', () => {
  it('no upstream ever received a client token; the refusals are audit events without the token', async () => {
    assert.ok(tokensSeen.length >= 5);
    for (const tap of upstreamTaps) {
      const received = tap.received();
      assert.match(received, /POST|GET/, 'the upstream was reached');
      assert.doesNotMatch(received, /authorization: bearer/i);
      for (const token of tokensSeen) assert.ok(!received.includes(token), 'a client token reached an upstream');
    }
    await warden.close();
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const wrongAudience = events.filter((e) => JSON.stringify(e).includes('"wrong_audience"'));
    assert.ok(wrongAudience.length >= 1, `no wrong_audience refusal among ${events.length} events`);
    for (const token of tokensSeen) assert.ok(!text.includes(token), 'a token appears in the audit trail');
  });
});
