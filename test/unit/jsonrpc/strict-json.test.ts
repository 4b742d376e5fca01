import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../../src/errors/catalogue.ts';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { parseStrictJson } from '../../../src/jsonrpc/strict-json.ts';

const LIMITS = { maxDepth: 64 };

function parse(input: string | Uint8Array | number[], limits = LIMITS): unknown {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Array.isArray(input) ? Uint8Array.from(input) : input;
  return parseStrictJson(bytes, limits);
}

function assertRefused(input: string | Uint8Array | number[], code: ErrorCode, limits = LIMITS): void {
  assert.throws(
    () => parse(input, limits),
    (err: unknown) => {
      assert.ok(err instanceof WardenError, `expected a WardenError, got ${String(err)}`);
      assert.equal(err.code, code, `input ${JSON.stringify(typeof input === 'string' ? input : Array.from(input))}: ${err.detail ?? ''}`);
      return true;
    },
  );
}

/** Runs `fn` and fails unless it returns or throws a WardenError. */
function onlyWardenErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof WardenError)) throw new Error(`threw a non-WardenError: ${String(err)}`, { cause: err });
  }
}

describe('parseStrictJson: accepted input', () => {
  it('parses every kind of JSON text, with surrounding whitespace', () => {
    assert.deepEqual(parse(' {"a":[1,-2.5e3,true,false,null,"x"],"b":{}} \n'), { a: [1, -2500, true, false, null, 'x'], b: {} });
    assert.equal(parse('"just a string"'), 'just a string');
    assert.equal(parse('42'), 42);
    assert.equal(parse('null'), null);
  });

  it('accepts a surrogate pair and raw UTF-8 in strings and keys', () => {
    assert.deepEqual(parse('{"\\ud83d\\ude00":"😀","café":"\\u00e9"}'), { '😀': '😀', café: 'é' });
  });

  it('accepts the same key in different objects and at different depths', () => {
    assert.deepEqual(parse('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":{}}}}'), { a: { a: 1 }, b: [{ a: 1 }, { a: 2 }], c: { a: { a: {} } } });
  });

  it('accepts keys that differ only by escaping of a different character', () => {
    assert.deepEqual(parse('{"a\\"b":1,"a\\\\b":2,"ab":3}'), { 'a"b': 1, 'a\\b': 2, ab: 3 });
  });

  it('accepts many distinct keys in one object (hash table path)', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    const text = `{${keys.map((k, i) => `"${k}":${i}`).join(',')}}`;
    const value = parse(text) as Record<string, number>;
    assert.equal(Object.keys(value).length, 5000);
    assert.equal(value.k4999, 4999);
  });

  it('nesting exactly at maxDepth is accepted', () => {
    assert.deepEqual(parse('[[[]]]', { maxDepth: 3 }), [[[]]]);
    assert.deepEqual(parse('{"a":{"b":[]}}', { maxDepth: 3 }), { a: { b: [] } });
    assert.equal(parse('7', { maxDepth: 0 }), 7);
  });

  it('a __proto__ key is an own property and pollutes no prototype', () => {
    const value = parse('{"__proto__":{"polluted":true},"a":{"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'a']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
  });

  it('accepts a plain Uint8Array view into a larger buffer', () => {
    const backing = Buffer.from('xx{"a":1}yy');
    assert.deepEqual(parseStrictJson(new Uint8Array(backing.buffer, backing.byteOffset + 2, 7), LIMITS), { a: 1 });
  });
});

describe('parseStrictJson: refusals', () => {
  const cases: [string, string | number[], ErrorCode, { maxDepth: number }?][] = [
    // invalid UTF-8
    ['a stray continuation byte', [0x22, 0x80, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['a truncated sequence', [0x22, 0xe2, 0x82, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['an overlong "/" (C0 AF)', [0x22, 0xc0, 0xaf, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['an overlong NUL (E0 80 80)', [0x22, 0xe0, 0x80, 0x80, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['an encoded high surrogate (ED A0 80)', [0x22, 0xed, 0xa0, 0x80, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['an encoded low surrogate (ED B0 80)', [0x22, 0xed, 0xb0, 0x80, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['a code point above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['an FF byte', [0x7b, 0xff, 0x7d], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    ['invalid UTF-8 in a key', [0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d], 'WARDEN_ERR_JSONRPC_INVALID_UTF8'],
    // lone surrogates
    ['a lone high surrogate', '"\\ud800"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a lone high surrogate, upper-case hex', '"\\uDBFF x"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a lone low surrogate', '"\\udc00"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a reversed pair', '"\\udc00\\ud800"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a high surrogate followed by a non-surrogate escape', '"\\ud800\\u0041"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a high surrogate at the end of the string', '"abc\\ud83d"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['two high surrogates', '"\\ud83d\\ud83d"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a lone surrogate in a key', '{"\\ud800":1}', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    ['a lone surrogate after an escaped backslash run', '"\\\\\\ud800"', 'WARDEN_ERR_JSONRPC_LONE_SURROGATE'],
    // duplicate keys
    ['a duplicate key', '{"a":1,"a":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate key, one escaped', '{"a":1,"\\u0061":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate key, both escaped differently', '{"\\u00e9":1,"é":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate key with a solidus escape', '{"a/b":1,"a\\/b":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate surrogate-pair key', '{"😀":1,"\\ud83d\\ude00":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate empty key', '{"":1,"":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate key deep inside', '{"a":[{"b":{"c":1,"d":2,"c":3}}]}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate key after a nested object', '{"a":{"x":1},"b":2,"a":3}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate JSON-RPC member', '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    ['a duplicate __proto__ key', '{"__proto__":1,"__proto__":2}', 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY'],
    // nesting
    ['nesting one deeper than maxDepth', '[[[[]]]]', 'WARDEN_ERR_JSONRPC_NESTING', { maxDepth: 3 }],
    ['object nesting deeper than maxDepth', '{"a":{"b":{"c":{}}}}', 'WARDEN_ERR_JSONRPC_NESTING', { maxDepth: 3 }],
    ['any container with maxDepth 0', '{}', 'WARDEN_ERR_JSONRPC_NESTING', { maxDepth: 0 }],
    ['100k nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'WARDEN_ERR_JSONRPC_NESTING'],
    // everything else
    ['an empty body', '', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['only whitespace', ' \n\t ', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a leading BOM', '\ufeff{}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['trailing garbage', '{} x', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['two JSON texts', '{}{}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['two JSON texts separated by a newline', '{"a":1}\n{"b":2}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a trailing comma in an array', '[1,]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a trailing comma in an object', '{"a":1,}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a single-quoted string', "{'a':1}", 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unquoted key', '{a:1}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a comment', '{"a":1 /* c */}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['NaN', '[NaN]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['Infinity', '[Infinity]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a leading plus', '[+1]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a leading zero', '[01]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a hex number', '[0x10]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a raw control character in a string', '"a\u0001b"', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a raw newline in a string', '"a\nb"', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unknown escape', '"\\x41"', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a short \\u escape', '"\\u12"', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a non-hex \\u escape', '"\\u12g4"', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unterminated string', '"abc', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unterminated long string', `"${'x'.repeat(1000)}`, 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a string ending in a backslash', '"abc\\', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unterminated object', '{"a":1', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an unbalanced close', '{"a":1}}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['mismatched brackets', '{"a":1]', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a non-breaking space as whitespace', '{\u00a0}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['a vertical tab as whitespace', '{\u000b}', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['undefined', 'undefined', 'WARDEN_ERR_JSONRPC_PARSE'],
    ['an upper-case literal', 'True', 'WARDEN_ERR_JSONRPC_PARSE'],
  ];
  for (const [name, input, code, limits] of cases) {
    it(`${code.replace('WARDEN_ERR_JSONRPC_', '')}: ${name}`, () => assertRefused(input, code, limits));
  }

  it('never echoes the input in the error detail (details reach the logs)', () => {
    try {
      parse('{"password":"hunter2" oops}');
      assert.fail('expected a refusal');
    } catch (err) {
      assert.ok(err instanceof WardenError);
      assert.equal(err.code, 'WARDEN_ERR_JSONRPC_PARSE');
      assert.doesNotMatch(`${err.message} ${err.detail ?? ''}`, /hunter2/);
    }
  });

  it('refuses what is not bytes with a WardenError', () => {
    assert.throws(() => parseStrictJson('{}' as unknown as Uint8Array, LIMITS), (err: unknown) => err instanceof WardenError && err.code === 'WARDEN_ERR_JSONRPC_PARSE');
  });

  it('refuses many colliding-looking keys without becoming slow (linear time)', () => {
    // 20k keys that share long prefixes and a duplicate at the very end.
    const keys = Array.from({ length: 20_000 }, (_, i) => `${'p'.repeat(40)}${i}`);
    assertRefused(`{${keys.map((k) => `"${k}":0`).join(',')},"${keys[0]}":1}`, 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY');
  });
});

// --- property tests ---------------------------------------------------------------------------

const wellFormedJson = fc.jsonValue({ maxDepth: 6, stringUnit: 'grapheme' });

/** A JSON text as a byte string of JSON-significant characters: lots of near-misses. */
const jsonishText = fc.string({
  unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', 'u', 'd', '8', 'D', 'C', '0', 'a', ':', ',', ' ', '\n', '1', '-', 'e', '.', 't', 'r', 'n', 'l', 'f', 's', 'é', '😀', '\u0001'),
  maxLength: 40,
});

describe('parseStrictJson: properties', () => {
  it('agrees with JSON.parse on every valid document without duplicate keys (any formatting)', () => {
    fc.assert(
      fc.property(wellFormedJson, fc.constantFrom(undefined, 0, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        assert.deepStrictEqual(parse(text, { maxDepth: 1000 }), JSON.parse(text));
      }),
      { numRuns: 400 },
    );
  });

  it('is never more lenient than JSON.parse, and agrees with it whenever it accepts', () => {
    fc.assert(
      fc.property(jsonishText, (text) => {
        let strict: { ok: true; value: unknown } | { ok: false };
        try {
          strict = { ok: true, value: parse(text, { maxDepth: 1000 }) };
        } catch (err) {
          assert.ok(err instanceof WardenError, `non-WardenError for ${JSON.stringify(text)}: ${String(err)}`);
          strict = { ok: false };
        }
        if (strict.ok) assert.deepStrictEqual(strict.value, JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('detects a duplicate key wherever it is, however the key is escaped', () => {
    const keyArb = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.nat({ max: 4 }),
        (keys, which, where, escapeAll, wrap) => {
          const dup = keys[which % keys.length]!;
          const encode = (key: string, escaped: boolean): string =>
            escaped ? `"${Array.from(key, (ch) => Array.from({ length: ch.length }, (_, k) => `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`).join('')).join('')}"` : JSON.stringify(key);
          const members = keys.map((k) => `${JSON.stringify(k)}:1`);
          members.splice(where % (members.length + 1), 0, `${encode(dup, escapeAll)}:2`);
          let text = `{${members.join(',')}}`;
          for (let k = 0; k < wrap; k++) text = k % 2 === 0 ? `[0,${text}]` : `{"w":${text}}`;
          assertRefused(text, 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw anything but a WardenError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => onlyWardenErrors(() => parseStrictJson(bytes, LIMITS))),
      { numRuns: 500 },
    );
  });

  it('random strings (any code points, lone surrogates too) never throw anything but a WardenError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => onlyWardenErrors(() => parse(text))),
      { numRuns: 500 },
    );
  });

  it('a mutated valid document either parses like JSON.parse or is refused with a WardenError', () => {
    fc.assert(
      fc.property(wellFormedJson, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (value, at, byte, insert) => {
        const bytes = Buffer.from(JSON.stringify(value));
        const index = at % (bytes.length + 1);
        const mutated = insert ? Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]) : Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
        try {
          const result = parseStrictJson(mutated, { maxDepth: 1000 });
          assert.deepStrictEqual(result, JSON.parse(mutated.toString('utf8')));
        } catch (err) {
          if (!(err instanceof WardenError)) throw err;
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseStrictJson: limits', () => {
  it('a maxDepth that is not a number fails closed', () => {
    assertRefused('[]', 'WARDEN_ERR_JSONRPC_NESTING', { maxDepth: Number.NaN });
    assert.equal(parse('1', { maxDepth: Number.NaN }), 1);
  });
});
