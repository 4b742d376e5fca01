import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DETECTORS } from '../../../src/redact/detectors/index.ts';
import { MAX_CUSTOM_MATCHES, customDetector } from '../../../src/redact/detectors/custom-detector.ts';
import { BUILTIN_ENTITY_TYPES } from '../../../src/redact/entity-types.ts';
import { Scanner } from '../../../src/redact/scanner.ts';
import { ADVERSARIAL_INPUTS, fill } from './adversarial-inputs.ts';

/**
 * Inputs built to make a backtracking pattern go quadratic or worse, or to make a prefilter stop
 * everywhere (adversarial-inputs.ts): every one is scanned and must give the right answer (floods
 * of real values all found, near-misses left alone). No timing here: bench/redact.bench.ts
 * reports how long each takes against the 50 ms budget; a detector gone super-linear shows up
 * there, and as a test that runs into the per-test timeout.
 */
describe('scanning adversarial 1 MB inputs stays linear', () => {
  const scanner = new Scanner(BUILTIN_DETECTORS);
  scanner.scan(fill('warm up 4111 1111 1111 1111 a@b.cc ')); // JIT warm-up, not measured

  it('every built-in detector has adversarial inputs', () => {
    const targeted = new Set(ADVERSARIAL_INPUTS.flatMap((i) => i.targets));
    assert.deepEqual(BUILTIN_ENTITY_TYPES.filter((t) => !targeted.has(t)), []);
  });

  for (const { name, text, expect } of ADVERSARIAL_INPUTS) {
    it(name, () => {
      const findings = scanner.scan(text);
      if (expect === 'nothing') assert.deepEqual(findings.slice(0, 3), [], `${name}: ${findings.length} findings`);
      else if (expect !== undefined) {
        let occurrences = 0;
        for (let at = text.indexOf(expect.value); at !== -1; at = text.indexOf(expect.value, at + expect.value.length)) occurrences++;
        const found = findings.filter((f) => f.type === expect.type && text.slice(f.start, f.end) === expect.value).length;
        assert.equal(found, occurrences, `${name}: ${found} of ${occurrences} found as ${expect.type}`);
        assert.ok(occurrences > 1000);
      }
    });
  }

  it('a custom RE2 pattern that would backtrack catastrophically in V8 finds nothing, in linear time', () => {
    const custom = new Scanner([customDetector('EVIL', '(a+)+b', false)]);
    assert.deepEqual(custom.scan(fill('a')), []);
  });

  it('many custom matches on one long line: capped, then the rest of the string is redacted whole', () => {
    const custom = new Scanner([customDetector('EMPLOYEE_ID', 'EMP-[0-9]{6}', false)]);
    const text = fill('EMP-123456 ');
    const findings = custom.scan(text);
    assert.equal(findings.length, MAX_CUSTOM_MATCHES + 1);
    assert.equal(findings.at(-1)?.end, text.length);
  });
});
