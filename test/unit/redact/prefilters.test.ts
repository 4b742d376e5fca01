import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import type { Finding } from '../../../src/redact/finding.ts';
import { assignmentDetector, valueRange } from '../../../src/redact/detectors/assignment-detector.ts';
import { ipv6Valid } from '../../../src/redact/detectors/ipv6-syntax.ts';
import { literalDetector } from '../../../src/redact/detectors/literal-detector.ts';
import { regexDetector } from '../../../src/redact/detectors/regex-detector.ts';

/**
 * The fast paths (indexOf needles, the operator index read backwards, the IPv6 range validator)
 * must find exactly what the plain pattern finds: they are compared with it on random strings
 * built from the pieces each pattern is made of.
 */

/** A seeded PRNG (mulberry32): the same strings on every run. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function strings(pieces: readonly string[], count: number, seed: number): string[] {
  const rnd = random(seed);
  return Array.from({ length: count }, () => Array.from({ length: 1 + rnd(12) }, () => pieces[rnd(pieces.length)]).join(''));
}

function scan(d: { scan(text: string, out: Finding[]): void }, text: string): Finding[] {
  const out: Finding[] = [];
  d.scan(text, out);
  return out;
}

describe('prefilters find exactly what the plain pattern finds', () => {
  it('literal needles: in order, never inside the previous match, dense needles included', () => {
    const pattern = /(?<![A-Za-z0-9])(?:ab|xyab)c[a-c]{2,6}(?![a-z])/g;
    const fast = literalDetector('T', 1, [['bc', 1], ['yab', 1]], pattern);
    const plain = regexDetector('T', 1, pattern);
    const texts = strings(['ab', 'abc', 'xyab', 'c', 'a', 'b', ' ', 'x', '-', 'abcabc'], 20_000, 1);
    texts.push('abc'.repeat(5000), 'xyabcab '.repeat(3000)); // dense: the plain pattern runs
    for (const t of texts) assert.deepEqual(scan(fast, t), scan(plain, t), JSON.stringify(t));
  });

  it('assignments: names read backwards from every ":" and "=", any case, quotes and spaces', () => {
    const names = ['password', 'pass', 'api_key', 'api-key', 'apikey', 'secret_key', 'key_secret'];
    const rest = String.raw`["']?\s{0,4}(?::|=|=>)\s{0,4}([A-Za-z0-9]{2,8})`;
    const refine = (m: RegExpExecArray) => valueRange(m);
    const fast = assignmentDetector('T', 1, { names, wordStart: true, rest }, refine);
    const plain = regexDetector('T', 1, new RegExp(`(?<![A-Za-z0-9])(${names.join('|')})${rest}`, 'gi'), refine);
    const pieces = ['password', 'PassWord', 'pass', 'API_KEY', 'Api-Key', 'apikey', 'secret_key', 'key', 'x', '_', '"', "'", ' ', '     ', ':', '=', '=>', 'abc', '12', '\n', '\u00a0'];
    for (const t of strings(pieces, 20_000, 2)) assert.deepEqual(scan(fast, t), scan(plain, t), JSON.stringify(t));
  });

  it('IPv6 syntax: the same verdict as node:net isIPv6', () => {
    const pieces = ['0', '1', 'a', 'F', 'ff', 'db8', '2001', 'fffff', ':', '::', ':::', '.', '1.2.3.4', '255', '256', '01', '192.168.0.1'];
    const rnd = random(3);
    let valid = 0;
    for (let n = 0; n < 100_000; n++) {
      const s =
        n % 2 === 0
          ? Array.from({ length: 1 + rnd(9) }, () => ['', '0', 'ab', '1234', 'fffff', '1.2.3.4', '300.1.1.1'][rnd(7)]).join(':')
          : Array.from({ length: 1 + rnd(14) }, () => pieces[rnd(pieces.length)]).join('');
      const expected = isIPv6(s);
      if (expected) valid++;
      assert.equal(ipv6Valid(`x ${s} y`, 2, 2 + s.length), expected, JSON.stringify(s));
    }
    assert.ok(valid > 1000, `only ${valid} valid addresses generated`);
  });
});
