import assert from 'node:assert/strict';
import type { ConformanceResult } from '../../helpers/conformance.ts';

/** The scenario a proxy must pass even where the bare server fails it (the proxy checks Host/Origin). */
export const DNS_REBINDING = 'dns-rebinding-protection';

/** One line per scenario, for assertion messages and the test log. */
export function summary(result: ConformanceResult): string {
  return result.scenarios.map((s) => `${s.failed === 0 && s.warnings === 0 ? 'ok ' : 'NOK'} ${s.name}: ${s.passed} passed, ${s.failed} failed${s.warnings ? `, ${s.warnings} warnings` : ''}`).join('\n');
}

/**
 * A proxied run must equal the direct one scenario by scenario (same checks passed, same failed),
 * except DNS rebinding, which the proxy must pass outright.
 */
export function assertSameAsDirect(direct: ConformanceResult, proxied: ConformanceResult, name: string): void {
  const byName = (r: ConformanceResult) => new Map(r.scenarios.map((s) => [s.name, s]));
  const d = byName(direct);
  const p = byName(proxied);
  assert.deepEqual([...p.keys()].sort(), [...d.keys()].sort(), `${name}: the same scenarios ran`);
  for (const [scenario, expected] of d) {
    const actual = p.get(scenario)!;
    if (scenario === DNS_REBINDING) {
      assert.equal(actual.failed, 0, `${name}: ${DNS_REBINDING} must pass through the proxy\n${summary(proxied)}`);
      continue;
    }
    assert.deepEqual(
      { passed: actual.passed, failed: actual.failed, warnings: actual.warnings },
      { passed: expected.passed, failed: expected.failed, warnings: expected.warnings },
      `${name}: scenario ${scenario} differs from direct\nDIRECT:\n${summary(direct)}\n${name.toUpperCase()}:\n${summary(proxied)}`,
    );
  }
  const dnsDirect = d.get(DNS_REBINDING);
  const extra = dnsDirect ? dnsDirect.failed : 0;
  assert.equal(proxied.passed, direct.passed + extra, `${name}: total passed = direct + the DNS rebinding checks the bare server fails`);
}
