import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';
import type { Principal } from '../pipeline/principal.ts';

export const jwtCacheLookupsTotal = new Counter({
  name: 'mcp_warden_jwt_cache_lookups_total',
  help: 'Verified-token cache lookups for JWT bearer tokens, by result (hit, miss)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

interface Entry {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
  /** The key set the signature was checked against (see JwtVerifier's generation). */
  readonly generation: number;
  /** Epoch ms after which the entry is not used, whatever the token says. */
  readonly validUntil: number;
}

export type CacheLookup =
  | { readonly kind: 'hit'; readonly principal: Principal }
  | { readonly kind: 'refused'; readonly reason: 'expired' | 'not_yet_valid' }
  | { readonly kind: 'miss' };

export interface VerifiedTokenCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly clockSkewS: number;
  readonly now?: () => number;
}

/**
 * Tokens whose signature and claims were verified, so that a client sending the same token on
 * every request pays for the signature check once (~130 µs for RS256) instead of each time.
 * Keyed by a SHA-256 of the audience and the token (the token itself is never kept as a key).
 * An entry is used for at most `ttlMs` after verification, only while the key set is the one it
 * was verified against, and `exp`/`nbf` are still checked against the clock on every hit.
 */
export class VerifiedTokenCache {
  readonly #lru: LRUCache<string, Entry>;
  readonly #ttlMs: number;
  readonly #skewS: number;
  readonly #now: () => number;

  constructor(options: VerifiedTokenCacheOptions) {
    this.#lru = new LRUCache({ max: options.maxEntries });
    this.#ttlMs = options.ttlMs;
    this.#skewS = options.clockSkewS;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#lru.size;
  }

  key(token: string, audiences: readonly string[]): string {
    return createHash('sha256').update(audiences.join('\n')).update('\n\n').update(token).digest('base64url');
  }

  lookup(key: string, generation: number): CacheLookup {
    const entry = this.#lru.get(key);
    const now = this.#now();
    if (entry === undefined || entry.generation !== generation || now >= entry.validUntil) {
      if (entry !== undefined) this.#lru.delete(key);
      jwtCacheLookupsTotal.inc({ result: 'miss' });
      return { kind: 'miss' };
    }
    jwtCacheLookupsTotal.inc({ result: 'hit' });
    // The same comparisons jose makes (epoch seconds, with the configured tolerance).
    const nowS = Math.floor(now / 1000);
    if (entry.exp <= nowS - this.#skewS) {
      this.#lru.delete(key);
      return { kind: 'refused', reason: 'expired' };
    }
    if (entry.nbf !== undefined && entry.nbf > nowS + this.#skewS) return { kind: 'refused', reason: 'not_yet_valid' };
    return { kind: 'hit', principal: entry.principal };
  }

  store(key: string, principal: Principal, claims: { exp: number; nbf: number | undefined }, generation: number): void {
    this.#lru.set(key, { principal, exp: claims.exp, nbf: claims.nbf, generation, validUntil: this.#now() + this.#ttlMs });
  }
}
