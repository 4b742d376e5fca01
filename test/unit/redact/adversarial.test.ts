import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DETECTORS } from '../../../src/redact/detectors/index.ts';
import { MAX_CUSTOM_MATCHES, customDetector } from '../../../src/redact/detectors/custom-detector.ts';
import { Scanner } from '../../../src/redact/scanner.ts';

/**
 * Inputs built to make a backtracking pattern go quadratic or worse: long runs of the characters
 * each pattern starts or repeats with, near-misses repeated a megabyte long. The bound is ten
 * times the 50 ms budget so that a shared, loaded CI machine never flakes; what this catches is a
 * pattern that goes super-linear (seconds, not milliseconds). bench/redact.bench.ts reports the
 * real figures.
 */
const MB = 1 << 20;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
const INPUTS: Record<string, string> = {
  'digit run': fill('1'),
  'spaced digits': fill('1 '),
  'dashed digits': fill('12-'),
  'dotted digits': fill('1.'),
  'near-miss cards': fill('4111 1111 1111 1112 '),
  'card then digits': fill('4111111111111111'),
  'near-miss SSNs': fill('000-12-3456 '),
  'near-miss phones': fill('+1 (2'),
  'parentheses': fill('(1) '),
  'letters': fill('a'),
  'at signs': fill('@'),
  'a@ pairs': fill('a@'),
  'almost emails': fill('a.b.c.d@e'),
  'hex and colons': fill('ffff:'),
  'colons': fill(':'),
  'IBAN prefixes': fill('GB12 '),
  'PEM BEGIN, no END': fill('-----BEGIN PRIVATE KEY-----'),
  'JWT prefixes': fill('eyJ'),
  'JWT-ish': fill('eyJaaaaaaaaaa.'),
  'password=': fill('password='),
  'password: "': fill('password: "'),
  'URL userinfo': fill('://a:b@'),
  'token prefixes': fill('ghp_sk-xoxb-glpat-AKIA'),
  'base64': fill('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTExMTExMTExMTExMTEx'),
};

describe('scanning adversarial 1 MB inputs stays linear', () => {
  const scanner = new Scanner(BUILTIN_DETECTORS);
  scanner.scan(fill('warm up 4111 1111 1111 1111 a@b.cc ')); // JIT warm-up, not measured
  for (const [name, text] of Object.entries(INPUTS)) {
    it(name, () => {
      const started = performance.now();
      scanner.scan(text);
      const ms = performance.now() - started;
      assert.ok(ms < 500, `${name}: ${ms.toFixed(0)} ms for 1 MB`);
    });
  }

  it('a custom RE2 pattern that would backtrack catastrophically in V8 stays linear', () => {
    const custom = new Scanner([customDetector('EVIL', '(a+)+b', false)]);
    const text = fill('a');
    const started = performance.now();
    assert.deepEqual(custom.scan(text), []);
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });

  it('many custom matches on one long line are not quadratic', () => {
    const custom = new Scanner([customDetector('EMPLOYEE_ID', 'EMP-[0-9]{6}', false)]);
    const text = fill('EMP-123456 ');
    const started = performance.now();
    const findings = custom.scan(text);
    const ms = performance.now() - started;
    assert.equal(findings.length, MAX_CUSTOM_MATCHES + 1); // then the rest of the string is redacted whole
    assert.equal(findings.at(-1)?.end, text.length);
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });
});
