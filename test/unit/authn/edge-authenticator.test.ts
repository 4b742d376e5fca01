import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { authConfigSchema } from '../../../src/authn/auth-config.ts';
import { generateApiKey, hashApiKey } from '../../../src/authn/api-key-format.ts';
import { createAuthn, type Authn } from '../../../src/authn/create-authn.ts';
import type { AuditPort, SecurityEvent } from '../../../src/pipeline/audit-port.ts';
import type { AuthRequest, AuthResult } from '../../../src/pipeline/authenticator.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { hs256WithPublicKey, makeSigningKey, mint, startJwksServer, tamper, unsecuredToken, type SigningKey } from '../../helpers/jwks-server.ts';

const HOST = '127.0.0.1:8443';
const RESOURCE = `http://${HOST}/mcp`;
const PRM = `http://${HOST}/.well-known/oauth-protected-resource/mcp`;

function recordingAudit(): AuditPort & { events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return { events, record: (e) => void events.push(e) };
}

const base = configSchema.parse({
  upstreams: [
    { name: 'everything', url: 'http://127.0.0.1:3001/mcp', path: '/mcp' },
    { name: 'other', url: 'http://127.0.0.1:3002/mcp', path: '/other/mcp' },
  ],
  policy: { bundle: 'policies/' },
});

/** `baseDir`: where relative paths in `auth` (keys files, JWKS files) resolve. */
async function build(auth: Record<string, unknown>, audit = recordingAudit(), state = new MemoryStateStore(), baseDir = process.cwd()): Promise<Authn & { audit: typeof audit }> {
  const authn = await createAuthn({ config: authConfigSchema.parse(auth), listen: base.listen, upstreams: base.upstreams, state, audit, logger: pino({ level: 'silent' }), baseDir });
  return { ...authn, audit };
}

function request(headers: Record<string, string> = {}, url = '/mcp', upstream = 'everything', clientIp = '10.0.0.1'): AuthRequest {
  return { headers: { host: HOST, ...headers }, url, clientIp, upstream, peerCertificate: undefined };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function refused(result: AuthResult, status: number, wwwAuthenticate?: RegExp): asserts result is Extract<AuthResult, { ok: false }> {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) return;
  assert.equal(result.error.httpStatus, status);
  if (wwwAuthenticate !== undefined) assert.match(result.headers['www-authenticate'] ?? '', wwwAuthenticate);
}

describe('JWT authentication against a real JWKS over HTTP (token attack suite)', () => {
  let key: SigningKey;
  let otherKey: SigningKey;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let authn: Awaited<ReturnType<typeof build>>;

  before(async () => {
    key = await makeSigningKey('k1');
    otherKey = await makeSigningKey('k2');
    jwks = await startJwksServer([key]);
    authn = await build({
      mode: 'jwt',
      authorization_servers: [jwks.issuer],
      jwt: { issuer: jwks.issuer, jwks_url: jwks.url, algorithms: ['RS256'], clock_skew_s: 5, jwks_cooldown_s: 30, claims: { roles: 'realm_access.roles' } },
      failure_limit: { max_failures: 1000, window_s: 60 },
    });
  });
  after(async () => {
    await authn.close();
    await jwks.close();
  });

  const lastFailure = () => authn.audit.events.at(-1)!;

  it('accepts a token for this resource and maps claims to the principal', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: RESOURCE, subject: 'alice', claims: { realm_access: { roles: ['operator'] }, scope: 'mcp:read mcp:write' } });
    const result = await authn.authenticator.authenticate(request(bearer(token)));
    assert.ok(result.ok);
    assert.equal(result.principal.id, 'alice');
    assert.equal(result.principal.auth, 'jwt');
    assert.equal(result.principal.issuer, jwks.issuer);
    assert.deepEqual(result.principal.roles, ['operator']);
    assert.deepEqual(result.principal.scopes, ['mcp:read', 'mcp:write']);
    assert.ok(result.principal.expiresAt! > Date.now() / 1000);
  });

  it('missing credential: 401 with resource_metadata and no error code (the discovery flow starts here)', async () => {
    const result = await authn.authenticator.authenticate(request());
    refused(result, 401);
    assert.equal(result.headers['www-authenticate'], `Bearer resource_metadata="${PRM}"`);
  });

  const attacks: [string, () => Promise<string>, string][] = [
    ['expired', () => mint(key, { issuer: jwks.issuer, audience: RESOURCE, expiresIn: -60 }), 'expired'],
    ['not yet valid', () => mint(key, { issuer: jwks.issuer, audience: RESOURCE, notBefore: 120 }), 'not_yet_valid'],
    ['wrong issuer', () => mint(key, { issuer: 'https://evil.example', audience: RESOURCE }), 'wrong_issuer'],
    ['wrong audience: a token minted for the upstream', () => mint(key, { issuer: jwks.issuer, audience: 'http://127.0.0.1:3001/mcp' }), 'wrong_audience'],
    ['wrong audience: a token for another resource on this proxy', () => mint(key, { issuer: jwks.issuer, audience: `http://${HOST}/other/mcp` }), 'wrong_audience'],
    ['alg none', async () => unsecuredToken({ iss: jwks.issuer, aud: RESOURCE, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 300 }), 'alg_not_allowed'],
    ['HS256 signed with the RSA public key', () => hs256WithPublicKey(key, { iss: jwks.issuer, aud: RESOURCE, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 300 }), 'alg_not_allowed'],
    ['unknown kid (signed by a key the IdP never published)', () => mint(otherKey, { issuer: jwks.issuer, audience: RESOURCE }), 'unknown_key'],
    ['tampered payload', async () => tamper(await mint(key, { issuer: jwks.issuer, audience: RESOURCE, subject: 'bob' }), (p) => (p.sub = 'admin')), 'bad_signature'],
    ['garbage', async () => 'eyJnYXJiYWdlIjp0cnVlfQ.Z2FyYmFnZS1wYXlsb2Fk.c2ln', 'malformed'],
  ];
  for (const [name, make, reason] of attacks) {
    it(`refuses ${name}: 401 invalid_token, audited without the token`, async () => {
      const token = await make();
      const before = authn.audit.events.length;
      const result = await authn.authenticator.authenticate(request(bearer(token)));
      refused(result, 401, /^Bearer error="invalid_token", resource_metadata="/);
      assert.equal(result.error.code, 'WARDEN_ERR_AUTHN_REQUIRED');
      assert.equal(authn.audit.events.length, before + 1);
      const event = lastFailure();
      assert.equal(event.type, 'authn.failure');
      assert.equal(event.details?.reason, reason);
      assert.equal(event.clientIp, '10.0.0.1');
      assert.ok(!JSON.stringify(event).includes(token.split('.')[1]!), 'the audit event must not contain the token');
      assert.ok(!(result.error.detail ?? '').includes(token.split('.')[1]!));
    });
  }

  it('refuses a token in the query string (400 invalid_request), even a valid one, and does not read it', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: RESOURCE });
    const result = await authn.authenticator.authenticate(request(bearer(token), `/mcp?access_token=${token}`));
    refused(result, 400, /error="invalid_request"/);
    assert.equal(result.error.code, 'WARDEN_ERR_AUTHN_TOKEN_IN_QUERY');
    assert.equal(lastFailure().details?.reason, 'token_in_query');
    assert.ok(!JSON.stringify(lastFailure()).includes(token));
  });

  it('a presented-but-invalid credential is a failure, not a fall-through (Basic scheme)', async () => {
    refused(await authn.authenticator.authenticate(request({ authorization: 'Basic YWxpY2U6cHc=' })), 401, /error="invalid_request"/);
  });

  it('fetches the JWKS again for an unknown kid once the IdP publishes it, then honours the cool-down', async () => {
    const rotated = await makeSigningKey('k3');
    const fetchesBefore = jwks.fetches();
    const early = await authn.authenticator.authenticate(request(bearer(await mint(rotated, { issuer: jwks.issuer, audience: RESOURCE }))));
    refused(early, 401);
    // Within the cool-down, a second unknown kid does not trigger another fetch.
    const afterFirst = jwks.fetches();
    assert.ok(afterFirst <= fetchesBefore + 1);
    jwks.published.push(rotated);
    const again = await authn.authenticator.authenticate(request(bearer(await mint(rotated, { issuer: jwks.issuer, audience: RESOURCE }))));
    refused(again, 401);
    assert.equal(jwks.fetches(), afterFirst, 'no fetch during the cool-down');
    // A verifier with no cool-down picks the new key up at once.
    const eager = await build({ mode: 'jwt', jwt: { issuer: jwks.issuer, jwks_url: jwks.url, jwks_cooldown_s: 0 } });
    try {
      const ok = await eager.authenticator.authenticate(request(bearer(await mint(rotated, { issuer: jwks.issuer, audience: RESOURCE }))));
      assert.ok(ok.ok);
    } finally {
      await eager.close();
    }
  });

  it('caches the JWKS: many verifications, no extra fetch', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: RESOURCE });
    await authn.authenticator.authenticate(request(bearer(token)));
    const n = jwks.fetches();
    for (let i = 0; i < 20; i++) assert.ok((await authn.authenticator.authenticate(request(bearer(token)))).ok);
    assert.equal(jwks.fetches(), n);
  });

  it('the audience is per upstream path: a token for /mcp is refused on /other/mcp', async () => {
    const token = await mint(key, { issuer: jwks.issuer, audience: RESOURCE });
    refused(await authn.authenticator.authenticate(request(bearer(token), '/other/mcp', 'other')), 401, /resource_metadata="http:\/\/127\.0\.0\.1:8443\/\.well-known\/oauth-protected-resource\/other\/mcp"/);
  });

  it('serves RFC 9728 metadata at the path-specific and root locations', async () => {
    const { PassThrough } = await import('node:stream');
    const fetchRoute = async (path: string) => {
      const route = authn.publicRoutes.find((r) => r.path === path || (r.path.endsWith('/*') && path.startsWith(r.path.slice(0, -1))))!;
      const chunks: Buffer[] = [];
      let status = 0;
      const res = Object.assign(new PassThrough(), {
        writeHead(s: number) {
          status = s;
          return res;
        },
      });
      res.on('data', (c: Buffer) => chunks.push(c));
      await route.handle({ url: path, headers: { host: HOST } } as never, res as never);
      return { status, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> };
    };
    const specific = await fetchRoute('/.well-known/oauth-protected-resource/mcp');
    assert.equal(specific.status, 200);
    assert.equal(specific.body.resource, RESOURCE);
    assert.deepEqual(specific.body.authorization_servers, [jwks.issuer]);
    assert.deepEqual(specific.body.bearer_methods_supported, ['header']);
    assert.equal((await fetchRoute('/.well-known/oauth-protected-resource/other/mcp')).body.resource, `http://${HOST}/other/mcp`);
    assert.equal((await fetchRoute('/.well-known/oauth-protected-resource')).body.resource, `http://${HOST}`);
    assert.equal((await fetchRoute('/.well-known/oauth-protected-resource/nope')).status, 404);
  });
});

describe('JWT: required scopes, static keys, explicit audience', () => {
  it('403 insufficient_scope when a required scope is missing; static JWKS file', async () => {
    const key = await makeSigningKey('s1', 'ES256');
    const dir = mkdtempSync(join(tmpdir(), 'warden-jwks-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [key.publicJwk] }));
    const authn = await build({ mode: 'jwt', jwt: { issuer: 'https://idp', jwks_file: 'jwks.json', algorithms: ['ES256'], required_scopes: ['mcp:access'] } }, recordingAudit(), new MemoryStateStore(), dir);
    try {
      const without = await mint(key, { issuer: 'https://idp', audience: RESOURCE, claims: { scope: 'mcp:read' } });
      const r = await authn.authenticator.authenticate(request(bearer(without)));
      refused(r, 403, /^Bearer error="insufficient_scope", scope="mcp:access", resource_metadata="/);
      assert.equal(r.error.code, 'WARDEN_ERR_AUTHN_INSUFFICIENT_SCOPE');
      const withScope = await mint(key, { issuer: 'https://idp', audience: RESOURCE, claims: { scope: 'mcp:access mcp:read' } });
      assert.ok((await authn.authenticator.authenticate(request(bearer(withScope)))).ok);
    } finally {
      await authn.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resource_base_url fixes the audience whatever the Host header says', async () => {
    const key = await makeSigningKey('s2');
    const authn = await build({ mode: 'jwt', resource_base_url: 'https://mcp.example.com', jwt: { issuer: 'https://idp', jwks: { keys: [key.publicJwk] } } });
    try {
      const good = await mint(key, { issuer: 'https://idp', audience: 'https://mcp.example.com/mcp' });
      assert.ok((await authn.authenticator.authenticate(request(bearer(good)))).ok);
      const hostBased = await mint(key, { issuer: 'https://idp', audience: RESOURCE });
      refused(await authn.authenticator.authenticate(request(bearer(hostBased))), 401, /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
    } finally {
      await authn.close();
    }
  });

  it('the schema refuses HS256 and none in the algorithm allowlist', () => {
    for (const alg of ['HS256', 'none']) assert.equal(authConfigSchema.safeParse({ mode: 'jwt', jwt: { issuer: 'x', jwks_url: 'https://idp/jwks', algorithms: [alg] } }).success, false);
  });
});

describe('API keys', () => {
  it('accepts a key by its hash, refuses a revoked or unknown one, and never falls through to anonymous', async () => {
    const good = generateApiKey();
    const revoked = generateApiKey();
    const authn = await build({
      mode: ['api_key', 'anonymous'],
      api_key: {
        keys: [
          { name: 'ci-bot', hash: hashApiKey(good), roles: ['operator'] },
          { name: 'old-bot', hash: hashApiKey(revoked), roles: ['admin'], revoked: true },
        ],
      },
    });
    try {
      const viaHeader = await authn.authenticator.authenticate(request({ 'x-api-key': good }));
      assert.ok(viaHeader.ok);
      assert.equal(viaHeader.principal.id, 'ci-bot');
      assert.equal(viaHeader.principal.auth, 'api_key');
      assert.deepEqual(viaHeader.principal.roles, ['operator']);
      assert.ok((await authn.authenticator.authenticate(request(bearer(good)))).ok, 'also as a bearer token');

      const r = await authn.authenticator.authenticate(request({ 'x-api-key': revoked }));
      refused(r, 401, /error="invalid_token"/);
      const event = authn.audit.events.at(-1)!;
      assert.equal(event.details?.reason, 'revoked');
      assert.equal(event.details?.key_name, 'old-bot');
      assert.ok(!JSON.stringify(event).includes(revoked));

      refused(await authn.authenticator.authenticate(request({ 'x-api-key': generateApiKey() })), 401);
      refused(await authn.authenticator.authenticate(request({ 'x-api-key': 'short' })), 401);
      refused(await authn.authenticator.authenticate(request({}, `/mcp?api_key=${good}`)), 400);

      const anonymous = await authn.authenticator.authenticate(request());
      assert.ok(anonymous.ok);
      assert.equal(anonymous.principal.auth, 'anonymous');
      assert.deepEqual(anonymous.principal.roles, ['viewer']);
    } finally {
      await authn.close();
    }
  });

  it('a keys file is re-read: revoking there takes effect without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    const key = generateApiKey();
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, `keys:\n  - name: ci\n    hash: ${hashApiKey(key)}\n    roles: [operator]\n`);
    const authn = await build({ mode: 'api_key', api_key: { file: 'keys.yaml' } }, recordingAudit(), new MemoryStateStore(), dir);
    try {
      assert.ok((await authn.authenticator.authenticate(request({ 'x-api-key': key }))).ok);
      writeFileSync(file, `keys:\n  - name: ci\n    hash: ${hashApiKey(key)}\n    roles: [operator]\n    revoked: true\n`);
      let refusedNow = false;
      for (let i = 0; i < 50 && !refusedNow; i++) {
        await new Promise((r) => setTimeout(r, 100));
        refusedNow = !(await authn.authenticator.authenticate(request({ 'x-api-key': key }, '/mcp', 'everything', `10.9.0.${i}`))).ok;
      }
      assert.ok(refusedNow, 'the revoked key was still accepted 5 s after the file changed');
    } finally {
      await authn.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('failure rate limit per client IP', () => {
  it('429 after max_failures failures within the window, other addresses unaffected, one audit event at the limit', async () => {
    const key = await makeSigningKey('r1');
    const authn = await build({ mode: 'jwt', jwt: { issuer: 'https://idp', jwks: { keys: [key.publicJwk] } }, failure_limit: { max_failures: 3, window_s: 60 } });
    try {
      for (let i = 0; i < 3; i++) refused(await authn.authenticator.authenticate(request(bearer('bad.bad.bad'), '/mcp', 'everything', '10.1.1.1')), 401);
      assert.equal(authn.audit.events.at(-1)!.details?.rate_limit_reached, true);
      const good = await mint(key, { issuer: 'https://idp', audience: RESOURCE });
      const limited = await authn.authenticator.authenticate(request(bearer(good), '/mcp', 'everything', '10.1.1.1'));
      refused(limited, 429);
      assert.equal(limited.headers['retry-after'], '60');
      assert.ok((await authn.authenticator.authenticate(request(bearer(good), '/mcp', 'everything', '10.1.1.2'))).ok);
      // Requests without a credential (the OAuth discovery step) do not count.
      for (let i = 0; i < 5; i++) refused(await authn.authenticator.authenticate(request({}, '/mcp', 'everything', '10.1.1.3')), 401);
      assert.ok((await authn.authenticator.authenticate(request(bearer(good), '/mcp', 'everything', '10.1.1.3'))).ok);
    } finally {
      await authn.close();
    }
  });
});

describe('mode none', () => {
  it('everyone is the anonymous viewer, and no public routes or TLS', async () => {
    const authn = await build({});
    try {
      const r = await authn.authenticator.authenticate(request(bearer('whatever')));
      assert.ok(r.ok);
      assert.equal(r.principal.id, 'anonymous');
      assert.deepEqual(r.principal.roles, ['viewer']);
      assert.equal(authn.publicRoutes.length, 0);
      assert.equal(authn.tls, undefined);
    } finally {
      await authn.close();
    }
  });
});
