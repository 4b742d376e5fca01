import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, jsonString } from '../../../src/audit/canonical-json.ts';

/**
 * The bytes of canonical JSON are part of the audit trail (chain hashes, argument digests): any
 * change would break `audit verify` on old spools and make digests differ between versions. The
 * reference here is the plain definition: every object's keys sorted, members serialised with
 * JSON.stringify, undefined members left out (built as text: a rebuilt object would put
 * integer-like keys first).
 */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined || typeof x === 'function' ? 'null' : reference(x))).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const v = value as Record<string, unknown>;
  const members = Object.keys(v)
    .sort()
    .filter((k) => v[k] !== undefined && typeof v[k] !== 'function')
    .map((k) => `${JSON.stringify(k)}:${reference(v[k])}`);
  return `{${members.join(',')}}`;
}

describe('canonical JSON', () => {
  const cases: unknown[] = [
    { b: 1, a: 2, c: { z: [3, { y: 1, x: 2 }], a: null } },
    { 'é': 1, e: 2, E: 3, _: 4, '': 5, '10': 6, '9': 7, 'a"b': 8, 'line\nbreak': 9, '\u{1F600}': 10, '\uFFFF': 11 },
    { n: [0, -0, 1.5, 1e21, 1e-7, -3, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY] },
    { s: ['', 'quote"', 'back\\slash', 'ctl\u0001', 'lone\uD800', 'emoji 😀', '</script>'] },
    { u: undefined, f: () => 1, arr: [undefined, () => 1, true, false, null] },
    [],
    {},
    'plain',
    42,
    null,
    true,
    { deep: { deeper: { deepest: { k: ['v', { b: 2, a: 1 }] } } } },
    // Already in order (the JSON.stringify fast path), and the near misses it must not take.
    { a: 1, b: { c: [{ d: 1, e: 'x' }, [null, 2]], f: 'ü' }, g: [] },
    { a: undefined, b: () => 1, c: [undefined, () => 1, Number.NaN, -0], d: Number.POSITIVE_INFINITY },
    { '2': 'a', '10': 'b' },
    { a: new Date(0), b: 1 },
    { a: 1, b: Symbol('s') },
    { a: { b: 1, c: { e: 1, d: 2 } } },
  ];
  it('equals sorting every object and JSON.stringify, for keys and values that need care', () => {
    for (const c of cases) assert.equal(canonicalJson(c), reference(c), JSON.stringify(c));
  });

  it('the same value gives the same bytes whatever the key insertion order', () => {
    assert.equal(canonicalJson({ a: 1, b: { d: 1, c: 2 } }), canonicalJson({ b: { c: 2, d: 1 }, a: 1 }));
    assert.equal(canonicalJson({ a: 1, b: { d: 1, c: 2 } }), '{"a":1,"b":{"c":2,"d":1}}');
  });

  it('writes a string exactly as JSON.stringify does, for every UTF-16 code unit and a surrogate pair', () => {
    const differ: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      if (jsonString(s) !== JSON.stringify(s)) differ.push(c);
    }
    assert.deepEqual(differ, []);
    for (const s of ['', 'plain', '\u{1F600}', '\uDC00\uD800', 'x'.repeat(5000)]) assert.equal(jsonString(s), JSON.stringify(s));
  });
});
