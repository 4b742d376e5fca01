import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const KEY_ENV = 'WARDEN_SECRET_KEY';
export const KEY_FILE_ENV = 'WARDEN_SECRET_KEY_FILE';

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

function decode(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, /[-_]/.test(trimmed) ? 'base64url' : 'base64');
  if (key.length !== 32) throw new Error(`${source}: must be 32 bytes, base64-encoded (mcp-warden secret keygen)`);
  return key;
}

/**
 * The key that opens `${secret:NAME}` values: `WARDEN_SECRET_KEY` (base64), or a mounted file
 * named by `WARDEN_SECRET_KEY_FILE` (base64 text, or exactly 32 raw bytes), e.g. a Kubernetes
 * Secret volume. Never from the config file itself.
 */
export function loadSecretKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const inline = env[KEY_ENV];
  if (inline !== undefined && inline !== '') return decode(inline, KEY_ENV);
  const file = env[KEY_FILE_ENV];
  if (file !== undefined && file !== '') {
    const bytes = readFileSync(file);
    return bytes.length === 32 ? bytes : decode(bytes.toString('utf8'), file);
  }
  throw new Error(`no secret key: set ${KEY_ENV} or ${KEY_FILE_ENV}`);
}
