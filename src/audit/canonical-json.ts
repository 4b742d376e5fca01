import * as crypto from 'node:crypto';

/** Keys that JSON.stringify would not escape (the common case), quoted without calling it. */
const SAFE_KEY = /^[A-Za-z0-9_@.$-]*$/;
/** Quoted keys, cached: events repeat the same few dozen keys (bounded against arbitrary argument keys). */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 4096;

function quoteKey(key: string): string {
  let quoted = QUOTED.get(key);
  if (quoted === undefined) {
    quoted = SAFE_KEY.test(key) ? `"${key}"` : JSON.stringify(key);
    if (QUOTED.size < QUOTED_MAX) QUOTED.set(key, quoted);
  }
  return quoted;
}

/** Strings JSON.stringify returns unchanged between quotes: no quote, backslash, control character or surrogate. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * A string as JSON.stringify writes it. Most strings in an event need no escaping, and a regular
 * expression test is about half the cost of a call into JSON.stringify (events have dozens of them).
 */
export function jsonString(s: string): string {
  return PLAIN_STRING.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as JSON.stringify would compare them),
 * no whitespace, `undefined` members dropped. The same value always gives the same bytes, so a
 * digest of it is stable across processes and verifiers (the hash chain and argument digests).
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default: {
      const s = JSON.stringify(value);
      return s === undefined ? 'null' : s;
    }
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Objects are often built in key order already: sort only when they are not.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += quoteKey(key);
    out += ':';
    out += canonicalJson(member);
  }
  return `${out}}`;
}

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;
/** crypto.hash (Node >= 20.12) skips the Hash object; createHash where it is missing. */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

export function sha256Hex(text: string): string {
  return oneShot !== undefined ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}
