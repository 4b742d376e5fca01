import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `mcpw_` and 32 random bytes in base64url. The prefix lets the authenticator tell a key
 * from a JWT in `Authorization: Bearer`, and lets secret scanners find leaked keys. Only the
 * SHA-256 of a key is ever stored: a key has 256 bits of entropy, so a fast hash is not
 * brute-forceable and keeps verification cheap on every request.
 */
export const API_KEY_PREFIX = 'mcpw_';
const KEY_SHAPE = /^mcpw_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function isApiKeyShaped(value: string): boolean {
  return KEY_SHAPE.test(value);
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
