import * as crypto from 'node:crypto';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as JSON.stringify would compare them),
 * no whitespace, `undefined` members dropped. The same value always gives the same bytes, so a
 * digest of it is stable across processes and verifiers (the hash chain and argument digests).
 */
/** Keys that JSON.stringify would not escape (the common case), quoted without calling it. */
const SAFE_KEY = /^[A-Za-z0-9_@.$-]*$/;

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += `${SAFE_KEY.test(key) ? `"${key}"` : JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;
/** crypto.hash (Node >= 20.12) skips the Hash object; createHash where it is missing. */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

export function sha256Hex(text: string): string {
  return oneShot !== undefined ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}
