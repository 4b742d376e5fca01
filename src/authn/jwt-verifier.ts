import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, jwksCache, jwtVerify, errors, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from './auth-config.ts';
import { claimAt, stringList } from './claims.ts';
import type { FailureReason } from './failure-reason.ts';
import type { Principal } from '../pipeline/principal.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

export type JwtOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: FailureReason; readonly detail: string };

/**
 * Verifies access tokens for this resource server (MCP authorization spec). Keys come from a JWKS
 * URL (jose caches it and fetches it again when a token names an unknown `kid`, at most once per
 * cool-down) or from static keys. Only the configured asymmetric algorithms are accepted, so
 * `alg: none` and HS256-signed-with-the-public-key tokens fail before any key is used.
 *
 * Verified tokens are cached (VerifiedTokenCache). An entry is tied to the key set it was checked
 * against: when a fetch of the JWKS brings different keys, every earlier entry stops counting, so a
 * key removed at the identity provider stops working once mcp-warden has fetched the JWKS again
 * (jwks_cache_s, or sooner on an unknown kid). jose fetches only while verifying, and a cached token
 * is verified again at most ttl_s after its last check, so the cache extends a removed key's life
 * by at most ttl_s (documented in docs/authentication.md).
 */
export class JwtVerifier {
  readonly #config: JwtConfig;
  readonly #keys: JWTVerifyGetKey;
  readonly #issuers: string[];
  readonly #cache: VerifiedTokenCache | undefined;
  /** jose writes the last fetched JWKS and its time here (remote key sets only). */
  readonly #fetched: { uat?: number; jwks?: unknown } | undefined;
  #seenUat: number | undefined;
  #seenKeys = '';
  #generation = 0;

  private constructor(config: JwtConfig, keys: JWTVerifyGetKey, fetched: { uat?: number; jwks?: unknown } | undefined, now: (() => number) | undefined) {
    this.#config = config;
    this.#keys = keys;
    this.#fetched = fetched;
    this.#issuers = typeof config.issuer === 'string' ? [config.issuer] : config.issuer;
    const { ttl_s, max_entries } = config.verified_cache;
    this.#cache = ttl_s === 0 ? undefined : new VerifiedTokenCache({ maxEntries: max_entries, ttlMs: ttl_s * 1000, clockSkewS: config.clock_skew_s, ...(now === undefined ? {} : { now }) });
  }

  /** `now` (epoch ms) is for the cache's clock in tests; jose reads the real clock. */
  static async create(config: JwtConfig, baseDir: string, options: { now?: () => number } = {}): Promise<JwtVerifier> {
    if (config.jwks_url !== undefined) {
      const fetched: { uat?: number; jwks?: unknown } = {};
      const remote = createRemoteJWKSet(new URL(config.jwks_url), {
        cacheMaxAge: config.jwks_cache_s * 1000,
        cooldownDuration: config.jwks_cooldown_s * 1000,
        timeoutDuration: config.jwks_timeout_ms,
        [jwksCache]: fetched as Record<string, never>,
      });
      return new JwtVerifier(config, remote, fetched, options.now);
    }
    const jwks = config.jwks ?? (JSON.parse(await readFile(resolve(baseDir, config.jwks_file!), 'utf8')) as JSONWebKeySet);
    return new JwtVerifier(config, createLocalJWKSet(jwks as JSONWebKeySet), undefined, options.now);
  }

  /** Entries currently cached (tests). */
  get cacheSize(): number {
    return this.#cache?.size ?? 0;
  }

  /** Changes whenever a JWKS fetch brought a different key set (static keys: never). */
  #keySetGeneration(): number {
    const fetched = this.#fetched;
    if (fetched === undefined || fetched.uat === this.#seenUat) return this.#generation;
    this.#seenUat = fetched.uat;
    const keys = JSON.stringify(fetched.jwks ?? null);
    if (keys !== this.#seenKeys) {
      this.#seenKeys = keys;
      this.#generation++;
    }
    return this.#generation;
  }

  /** `audiences`: the resource URL(s) this token must be for, unless the config names its own. */
  async verify(token: string, audiences: readonly string[]): Promise<JwtOutcome> {
    const audience = this.#config.audience ?? [...audiences];
    const cacheKey = this.#cache?.key(token, typeof audience === 'string' ? [audience] : audience);
    // Read before verifying: an entry verified while the key set changed is not stored (unless this
    // was the first fetch of the key set, which is the one it was verified against).
    const firstFetch = this.#fetched !== undefined && this.#fetched.uat === undefined;
    const generation = this.#keySetGeneration();
    if (cacheKey !== undefined) {
      const cached = this.#cache!.lookup(cacheKey, generation);
      if (cached.kind === 'hit') return { ok: true, principal: cached.principal };
      if (cached.kind === 'refused') return { ok: false, reason: cached.reason, detail: cached.reason === 'expired' ? 'token expired' : 'token not yet valid (nbf)' };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#issuers,
        audience,
        algorithms: this.#config.algorithms,
        clockTolerance: this.#config.clock_skew_s,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return { ok: false, ...classify(err) };
    }
    const id = claimAt(payload, this.#config.claims.id);
    if (typeof id !== 'string' || id === '') return { ok: false, reason: 'missing_claim', detail: `no string claim at ${this.#config.claims.id}` };
    const principal: Principal = {
      id,
      ...(payload.iss === undefined ? {} : { issuer: payload.iss }),
      auth: 'jwt',
      roles: stringList(claimAt(payload, this.#config.claims.roles)),
      scopes: stringList(claimAt(payload, this.#config.claims.scopes)),
      claims: payload as Record<string, unknown>,
      ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
    };
    // `exp` is a required claim, so it is a number here.
    const current = this.#keySetGeneration();
    if (cacheKey !== undefined && (current === generation || firstFetch)) this.#cache!.store(cacheKey, principal, { exp: payload.exp!, nbf: payload.nbf }, current);
    return { ok: true, principal };
  }
}

/** jose's error → a bounded reason. The detail is for logs; it never contains the token. */
function classify(err: unknown): { reason: FailureReason; detail: string } {
  if (err instanceof errors.JWTExpired) return { reason: 'expired', detail: 'token expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'iss') return { reason: 'wrong_issuer', detail: 'unexpected iss' };
    if (claim === 'aud') return { reason: 'wrong_audience', detail: 'token not issued for this resource' };
    if (claim === 'nbf') return { reason: 'not_yet_valid', detail: 'token not yet valid (nbf)' };
    if (claim === 'iat') return { reason: 'not_yet_valid', detail: 'token issued in the future (iat)' };
    return { reason: 'missing_claim', detail: `claim ${claim}: ${err.reason}` };
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return { reason: 'alg_not_allowed', detail: 'algorithm not in the allowlist' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { reason: 'bad_signature', detail: 'signature verification failed' };
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return { reason: 'unknown_key', detail: 'no key in the JWKS matches the token' };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return { reason: 'jwks_unavailable', detail: `JWKS: ${(err as Error).message}` };
  if (err instanceof errors.JOSENotSupported) return { reason: 'alg_not_allowed', detail: (err as Error).message };
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return { reason: 'malformed', detail: 'malformed token' };
  if (err instanceof errors.JOSEError) return { reason: 'malformed', detail: `${err.code}` };
  // A network failure fetching the JWKS surfaces as a plain error (fetch/undici).
  return { reason: 'jwks_unavailable', detail: `key lookup failed: ${(err as Error).message}` };
}
