import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../pipeline/principal.ts';

/** Environment variable holding the hex SHA-256 of the admin bearer token. */
export const ADMIN_TOKEN_ENV = 'MCP_WARDEN_ADMIN_TOKEN_SHA256';

export function hashAdminToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The admin token check: only the token's SHA-256 is configured (config or environment), so the
 * config never holds a usable credential. Compared in constant time.
 */
export class AdminToken {
  readonly #digest: Buffer;

  constructor(sha256Hex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(sha256Hex)) throw new Error(`the admin token hash must be 64 hex characters (the SHA-256 of the token), e.g. printf %s "$TOKEN" | sha256sum`);
    this.#digest = Buffer.from(sha256Hex.toLowerCase(), 'hex');
  }

  /** From an explicit value, else MCP_WARDEN_ADMIN_TOKEN_SHA256; undefined when neither is set. */
  static fromConfig(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): AdminToken | undefined {
    const value = configured ?? env[ADMIN_TOKEN_ENV];
    return value === undefined || value === '' ? undefined : new AdminToken(value);
  }

  matches(token: string): boolean {
    return timingSafeEqual(createHash('sha256').update(token, 'utf8').digest(), this.#digest);
  }
}

/** The principal of a caller that presented the admin token. */
export const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({
  id: 'admin-token',
  auth: 'api_key',
  roles: Object.freeze(['admin']),
  scopes: Object.freeze([]),
  claims: Object.freeze({}),
});
