import { Buffer, isUtf8 } from 'node:buffer';
import { WardenError } from '../errors/warden-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';

/**
 * The "one parse" invariant: a body is accepted only if every JSON parser would read it the same
 * way. On top of RFC 8259 this refuses what parsers disagree on: invalid UTF-8 (including overlong
 * forms and encoded surrogates), escaped lone surrogates, duplicate object keys (compared after
 * unescaping), a leading BOM, and nesting deeper than `maxDepth` (`{}` and `[]` are depth 1, a
 * scalar is depth 0).
 *
 * How, and why this way: `isUtf8` (native, simdutf) validates the bytes; one pass finds every
 * `\u` escape (memmem) for the surrogate check; one linear pass over the bytes tracks container
 * depth and counts object keys, skipping string contents with `Buffer#indexOf` (memchr); V8's
 * native `JSON.parse` builds the value and has the last word on the rest of the grammar (numbers,
 * literals, control characters, trailing garbage). Duplicate keys are then found by counting:
 * JSON.parse keeps one property per distinct key (after unescaping, by definition), so the value
 * has fewer keys in total than the text exactly when some object repeated a key. Counting is
 * several times cheaper than comparing keys, and exact.
 *
 * Throws only WardenError, for any input.
 */
export interface StrictJsonLimits {
  readonly maxDepth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const KIND_OBJECT = 1;
const KIND_ARRAY = 2;
const BACKSLASH_U = Buffer.from('\\u', 'latin1');
/** Short strings are cheaper to walk in JS than to hand to a native indexOf call. */
const INLINE_STRING_SCAN = 24;
const MAX_DEPTH_CAP = 10_000;

function refuse(code: ErrorCode, detail: string): never {
  throw new WardenError(code, { detail });
}

export function parseStrictJson(bytes: Uint8Array, limits: StrictJsonLimits): unknown {
  try {
    return parseOrThrow(bytes, limits);
  } catch (err) {
    if (err instanceof WardenError) throw err;
    // JSON.parse's SyntaxError, or anything unexpected (a RangeError on a huge string): one code.
    // Not its message: V8 quotes the input there, and details reach the logs (no secrets in logs).
    throw new WardenError('WARDEN_ERR_JSONRPC_PARSE', { detail: `not a JSON text (${err instanceof Error ? err.name : typeof err})` });
  }
}

function parseOrThrow(input: Uint8Array, limits: StrictJsonLimits): unknown {
  if (!(input instanceof Uint8Array)) refuse('WARDEN_ERR_JSONRPC_PARSE', 'input is not bytes');
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length === 0) refuse('WARDEN_ERR_JSONRPC_PARSE', 'empty body');
  if (!isUtf8(buf)) refuse('WARDEN_ERR_JSONRPC_INVALID_UTF8', 'body is not well-formed UTF-8');
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) refuse('WARDEN_ERR_JSONRPC_PARSE', 'leading byte order mark');
  checkUnicodeEscapes(buf);
  // A limit that is not a number fails closed (every container refused); a huge one is capped.
  const maxDepth = Number.isFinite(limits.maxDepth) ? Math.min(MAX_DEPTH_CAP, Math.max(0, Math.floor(limits.maxDepth))) : 0;
  const keysInText = scan(buf, maxDepth);
  if (finalDepth !== 0) refuse('WARDEN_ERR_JSONRPC_PARSE', 'unterminated container');
  const value: unknown = JSON.parse(buf.toString('utf8'));
  if (keysInText > 0 && countKeys(value) !== keysInText) refuse('WARDEN_ERR_JSONRPC_DUPLICATE_KEY', 'an object repeats a key');
  return value;
}

/**
 * Escaped lone surrogates, checked in one pass over the whole body: `indexOf` finds each `\\u`,
 * and it is an escape when an odd run of backslashes ends there (a `\\\\` pair is an escaped
 * backslash; nothing else in an escape can be a backslash, so the run count alone decides). A
 * `\\u` outside any string is invalid JSON that JSON.parse refuses anyway.
 */
function checkUnicodeEscapes(buf: Buffer): void {
  let p = buf.indexOf(BACKSLASH_U);
  while (p !== -1) {
    let k = p - 1;
    while (k >= 0 && buf[k] === BACKSLASH) k--;
    const next = (p - k) % 2 === 1 ? unicodeEscape(buf, p) : p + 2;
    p = buf.indexOf(BACKSLASH_U, next);
  }
}

/** The index of the quote that ends the string whose contents start at `from`. */
function stringEnd(buf: Buffer, from: number): number {
  let j = from;
  const inlineEnd = Math.min(buf.length, from + INLINE_STRING_SCAN);
  // Walk short strings inline; longer ones jump from quote to quote with memchr.
  while (j < inlineEnd) {
    const d = buf[j]!;
    if (d === QUOTE) return j;
    j += d === BACKSLASH ? 2 : 1;
  }
  for (;;) {
    const q = buf.indexOf(QUOTE, j);
    if (q === -1) refuse('WARDEN_ERR_JSONRPC_PARSE', 'unterminated string');
    let k = q - 1;
    while (buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q; // an even run of backslashes: the quote is not escaped
    j = q + 1;
  }
}

// Container kinds per depth, reused across parses (a parse is synchronous, so never shared).
let kinds = new Uint8Array(66);
let finalDepth = 0;

/**
 * One pass over the bytes: depth, and the number of keys in all objects (returned; the depth
 * at the end is left in `finalDepth`). It is exact on every valid JSON text; on an invalid one it may stop
 * early with a fitting code, or let it through for JSON.parse to refuse.
 */
function scan(buf: Buffer, maxDepth: number): number {
  const n = buf.length;
  if (kinds.length < maxDepth + 2) kinds = new Uint8Array(maxDepth + 2);
  let depth = 0;
  let expectKey = false;
  let keys = 0;
  let i = 0;

  while (i < n) {
    const c = buf[i]!;
    if (c === QUOTE) {
      if (expectKey) {
        keys++;
        expectKey = false;
      }
      i = stringEnd(buf, i + 1) + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > maxDepth) refuse('WARDEN_ERR_JSONRPC_NESTING', `nesting deeper than ${maxDepth}`);
      kinds[depth] = c === OPEN_OBJECT ? KIND_OBJECT : KIND_ARRAY;
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0 || kinds[depth] !== (c === CLOSE_OBJECT ? KIND_OBJECT : KIND_ARRAY)) {
        refuse('WARDEN_ERR_JSONRPC_PARSE', 'unbalanced brackets');
      }
      depth--;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = kinds[depth] === KIND_OBJECT;
    } else if (c === COLON) {
      expectKey = false;
    }
    // Whitespace, numbers and literals need nothing here; JSON.parse checks their grammar.
    i++;
  }
  // Nothing but a return may follow this loop: V8 (Node 20) re-enters the cached on-stack-
  // replacement code of a hot loop on every call, and a comparison after the loop that had no
  // type feedback when it was compiled deoptimises it every single time (5x slower).
  finalDepth = depth;
  return keys;
}

/** The number of own keys of every object in a JSON.parse result (arrays and objects, recursively). */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let total = 0;
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) {
      const item: unknown = value[k];
      if (typeof item === 'object' && item !== null) total += countKeys(item);
    }
    return total;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  total = keys.length;
  for (let k = 0; k < keys.length; k++) {
    const item = record[keys[k]!];
    if (typeof item === 'object' && item !== null) total += countKeys(item);
  }
  return total;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function hex4(buf: Buffer, at: number): number {
  if (at + 4 > buf.length) return -1;
  const a = hexValue(buf[at]!);
  const b = hexValue(buf[at + 1]!);
  const c = hexValue(buf[at + 2]!);
  const d = hexValue(buf[at + 3]!);
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/** Checks the `\\u` escape at `at` (its backslash) for surrogates; returns the index just past it (or its pair). */
function unicodeEscape(buf: Buffer, at: number): number {
  const unit = hex4(buf, at + 2);
  if (unit < 0) refuse('WARDEN_ERR_JSONRPC_PARSE', 'bad \\u escape');
  if (unit >= 0xdc00 && unit <= 0xdfff) refuse('WARDEN_ERR_JSONRPC_LONE_SURROGATE', 'low surrogate without a high surrogate');
  if (unit < 0xd800 || unit > 0xdbff) return at + 6;
  // A high surrogate must be followed at once by an escaped low surrogate.
  const low = buf[at + 6] === BACKSLASH && buf[at + 7] === 0x75 ? hex4(buf, at + 8) : -1;
  if (low < 0xdc00 || low > 0xdfff) refuse('WARDEN_ERR_JSONRPC_LONE_SURROGATE', 'high surrogate without a low surrogate');
  return at + 12;
}
