import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Credentials at rest: AES-256-GCM, a fresh 96-bit nonce per value, the secret's NAME as
 * additional authenticated data (a ciphertext moved to another name does not decrypt).
 * Format: `wsec:v1:<base64url(nonce ‖ tag ‖ ciphertext)>`.
 */
const PREFIX = 'wsec:v1:';
const NONCE = 12;
const TAG = 16;

function aad(name: string): Buffer {
  return Buffer.from(`mcp-warden:secret:v1:${name}`, 'utf8');
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function seal(name: string, plaintext: string, key: Buffer): string {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(name));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** Throws (without echoing any of the value) when the value is not ours, tampered, or for another name or key. */
export function open(name: string, sealed: string, key: Buffer): string {
  if (!isSealed(sealed)) throw new Error(`secret ${name}: not an mcp-warden sealed value`);
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  if (raw.length < NONCE + TAG) throw new Error(`secret ${name}: truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE));
  decipher.setAAD(aad(name));
  decipher.setAuthTag(raw.subarray(NONCE, NONCE + TAG));
  try {
    return Buffer.concat([decipher.update(raw.subarray(NONCE + TAG)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`secret ${name}: cannot be decrypted (wrong key, wrong name, or tampered)`);
  }
}
