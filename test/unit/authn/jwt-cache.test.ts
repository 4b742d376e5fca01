import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { jwtConfigSchema } from '../../../src/authn/auth-config.ts';
import { JwtVerifier, type JwtOutcome } from '../../../src/authn/jwt-verifier.ts';
import { jwtCacheLookupsTotal } from '../../../src/authn/verified-token-cache.ts';
import { makeSigningKey, mint, startJwksServer, type SigningKey } from '../../helpers/jwks-server.ts';

const AUD = 'http://127.0.0.1:8443/mcp';

/** The cache's clock, moved by hand; jose keeps reading the real one. */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

async function lookups(): Promise<{ hit: number; miss: number }> {
  const values = (await jwtCacheLookupsTotal.get()).values;
  const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
  return { hit: of('hit'), miss: of('miss') };
}

function ok(outcome: JwtOutcome): string {
  assert.equal(outcome.ok, true, outcome.ok ? '' : `refused: ${outcome.reason} (${outcome.detail})`);
  return outcome.ok ? outcome.principal.id : '';
}

describe('JWT verified-token cache', () => {
  let key: SigningKey;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let c: ReturnType<typeof clock>;

  before(async () => {
    key = await makeSigningKey('cache-k1');
    jwks = await startJwksServer([key]);
  });
  after(() => jwks.close());
  beforeEach(() => {
    c = clock();
    jwks.published.splice(0, jwks.published.length, key);
  });

  const verifier = (cache: Record<string, unknown> = { ttl_s: 3600 }) =>
    JwtVerifier.create(jwtConfigSchema.parse({ issuer: jwks.issuer, jwks_url: jwks.url, algorithms: ['RS256'], jwks_cooldown_s: 0, verified_cache: cache }), process.cwd(), { now: c.now });

  it('a token verified once is served from the cache (counted as a hit), per audience', async () => {
    const v = await verifier();
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD, subject: 'alice' });
    const before = await lookups();
    ok(await v.verify(token, [AUD]));
    assert.equal(ok(await v.verify(token, [AUD])), 'alice');
    const after = await lookups();
    assert.equal(after.hit - before.hit, 1);
    assert.equal(after.miss - before.miss, 1);
    // The same token presented for another resource is checked, not taken from the cache.
    const other = await v.verify(token, ['http://127.0.0.1:8443/other/mcp']);
    assert.equal(other.ok ? 'accepted' : other.reason, 'wrong_audience');
  });

  it('a cached token is still refused once it expires: exp is checked on every hit', async () => {
    const v = await verifier();
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD, expiresIn: 60 });
    ok(await v.verify(token, [AUD]));
    ok(await v.verify(token, [AUD]));
    c.advance(60_000 + 30_000 + 1_000); // past exp and the 30 s clock skew, well inside the cache TTL
    const outcome = await v.verify(token, [AUD]);
    assert.equal(outcome.ok ? 'accepted' : outcome.reason, 'expired');
  });

  it('nbf is checked on every hit too (a clock that went back)', async () => {
    const v = await verifier();
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD, notBefore: 20 }); // within the 30 s skew
    ok(await v.verify(token, [AUD]));
    c.advance(-60_000);
    const outcome = await v.verify(token, [AUD]);
    assert.equal(outcome.ok ? 'accepted' : outcome.reason, 'not_yet_valid');
  });

  it('an entry is used for at most ttl_s, then the token is verified again', async () => {
    const v = await verifier({ ttl_s: 60 });
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD, expiresIn: 3600 });
    ok(await v.verify(token, [AUD]));
    c.advance(61_000);
    const before = await lookups();
    ok(await v.verify(token, [AUD]));
    const after = await lookups();
    assert.equal(after.miss - before.miss, 1);
    assert.equal(after.hit - before.hit, 0);
  });

  it('is bounded by max_entries (least recently used go first)', async () => {
    const v = await verifier({ ttl_s: 3600, max_entries: 3 });
    for (let i = 0; i < 10; i++) ok(await v.verify(await mint(key, { issuer: jwks.issuer, audience: AUD, subject: `u${i}` }), [AUD]));
    assert.equal(v.cacheSize, 3);
  });

  it('ttl_s: 0 turns it off', async () => {
    const v = await verifier({ ttl_s: 0 });
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD });
    ok(await v.verify(token, [AUD]));
    ok(await v.verify(token, [AUD]));
    assert.equal(v.cacheSize, 0);
  });

  it('a key removed from the JWKS stops working as soon as the key set is fetched again, cached tokens included', async () => {
    const v = await verifier({ ttl_s: 3600 });
    const old = await mint(key, { issuer: jwks.issuer, audience: AUD, subject: 'alice' });
    ok(await v.verify(old, [AUD]));
    ok(await v.verify(old, [AUD])); // cached now
    // The IdP rotates: k1 is withdrawn, k2 published. A token with the new kid makes mcp-warden fetch the JWKS.
    const next = await makeSigningKey('cache-k2');
    jwks.published.splice(0, jwks.published.length, next);
    const fetches = jwks.fetches();
    ok(await v.verify(await mint(next, { issuer: jwks.issuer, audience: AUD, subject: 'bob' }), [AUD]));
    assert.ok(jwks.fetches() > fetches, 'the JWKS was fetched again');
    const outcome = await v.verify(old, [AUD]);
    assert.equal(outcome.ok ? 'accepted from the cache' : outcome.reason, 'unknown_key');
  });

  it('a JWKS fetch that brings the same keys does not empty the cache', async () => {
    const v = await verifier({ ttl_s: 3600 });
    const token = await mint(key, { issuer: jwks.issuer, audience: AUD });
    ok(await v.verify(token, [AUD]));
    ok(await v.verify(token, [AUD]));
    // An unknown kid makes jose fetch again; the set is unchanged.
    const stray = await v.verify(await mint(await makeSigningKey('nobody'), { issuer: jwks.issuer, audience: AUD }), [AUD]);
    assert.equal(stray.ok ? 'accepted' : stray.reason, 'unknown_key');
    const before = await lookups();
    ok(await v.verify(token, [AUD]));
    assert.equal((await lookups()).hit - before.hit, 1);
  });
});
