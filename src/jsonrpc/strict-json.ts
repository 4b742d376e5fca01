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
 * How, and why this way: `isUtf8` (native, simdutf) validates the bytes; one linear pass over the
 * bytes tracks container depth, object keys and `\u` escapes; then V8's native `JSON.parse` builds
 * the value and has the last word on everything else in the grammar (numbers, literals, control
 * characters, trailing garbage). The pass skips string contents with `Buffer#indexOf` (memchr), so
 * large tool results cost little more than `JSON.parse` alone.
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
/** Short strings are cheaper to walk in JS than to hand to a native indexOf call. */
const INLINE_STRING_SCAN = 24;

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
  scan(buf, Math.max(0, Math.floor(limits.maxDepth)));
  return JSON.parse(buf.toString('utf8'));
}

/**
 * One pass over the bytes. It is exact on every valid JSON text; on an invalid one it may stop
 * early with a fitting code, or let it through for JSON.parse to refuse.
 */
function scan(buf: Buffer, maxDepth: number): void {
  const n = buf.length;
  // Per-depth state, allocated once: container kind and the keys seen in the open object.
  const kinds = new Uint8Array(maxDepth + 2);
  const keySets: (Set<string> | undefined)[] = [];
  let depth = 0;
  let expectKey = false;
  // Cached positions of the next quote and backslash (recomputed only when passed): total work
  // in indexOf stays linear in the input, whatever the mix of strings and escapes.
  let nextQuote = -2;
  let nextBackslash = -2;
  let i = 0;

  while (i < n) {
    const c = buf[i]!;
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      let j = start;
      // Walk short strings inline; most keys and small values end here.
      const inlineEnd = Math.min(n, start + INLINE_STRING_SCAN);
      let end = -1;
      while (j < inlineEnd) {
        const d = buf[j]!;
        if (d === QUOTE) {
          end = j;
          break;
        }
        if (d === BACKSLASH) break;
        j++;
      }
      while (end < 0) {
        if (nextQuote < j && nextQuote !== -1) nextQuote = buf.indexOf(QUOTE, j);
        if (nextBackslash < j && nextBackslash !== -1) nextBackslash = buf.indexOf(BACKSLASH, j);
        if (nextQuote === -1) refuse('WARDEN_ERR_JSONRPC_PARSE', 'unterminated string');
        if (nextBackslash === -1 || nextBackslash > nextQuote) {
          end = nextQuote;
          break;
        }
        escaped = true;
        j = escape(buf, nextBackslash);
      }
      if (expectKey && kinds[depth] === KIND_OBJECT) {
        const key = escaped ? (JSON.parse(buf.toString('utf8', i, end + 1)) as string) : buf.toString('utf8', start, end);
        let keys = keySets[depth];
        if (keys === undefined) keySets[depth] = keys = new Set();
        if (keys.has(key)) refuse('WARDEN_ERR_JSONRPC_DUPLICATE_KEY', `duplicate key at depth ${depth}`);
        keys.add(key);
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > maxDepth) refuse('WARDEN_ERR_JSONRPC_NESTING', `nesting deeper than ${maxDepth}`);
      if (c === OPEN_OBJECT) {
        kinds[depth] = KIND_OBJECT;
        keySets[depth]?.clear();
        expectKey = true;
      } else {
        kinds[depth] = KIND_ARRAY;
        expectKey = false;
      }
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
  if (depth !== 0) refuse('WARDEN_ERR_JSONRPC_PARSE', 'unterminated container');
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

/** Checks the escape at `at` (a backslash) and returns the index just past it. */
function escape(buf: Buffer, at: number): number {
  const kind = buf[at + 1];
  if (kind === undefined) refuse('WARDEN_ERR_JSONRPC_PARSE', 'unterminated escape');
  if (kind !== 0x75 /* u */) return at + 2; // JSON.parse checks the other escape letters
  const unit = hex4(buf, at + 2);
  if (unit < 0) refuse('WARDEN_ERR_JSONRPC_PARSE', 'bad \\u escape');
  if (unit >= 0xdc00 && unit <= 0xdfff) refuse('WARDEN_ERR_JSONRPC_LONE_SURROGATE', 'low surrogate without a high surrogate');
  if (unit < 0xd800 || unit > 0xdbff) return at + 6;
  // A high surrogate must be followed at once by an escaped low surrogate.
  const low = buf[at + 6] === BACKSLASH && buf[at + 7] === 0x75 ? hex4(buf, at + 8) : -1;
  if (low < 0xdc00 || low > 0xdfff) refuse('WARDEN_ERR_JSONRPC_LONE_SURROGATE', 'high surrogate without a low surrogate');
  return at + 12;
}
