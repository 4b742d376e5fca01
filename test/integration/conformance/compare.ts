import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConformanceResult } from '../../helpers/conformance.ts';
import { runConformance, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';

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

/**
 * The conformance suite (active) against one upstream, directly and through mcp-warden in the same
 * run: the direct run must pass `mustPass` (the scenarios the server implements) and at least
 * `minPassed` checks, and fail DNS rebinding (the bare server has no Host/Origin check); the proxied
 * run must equal it scenario by scenario and pass DNS rebinding.
 */
export function describeConformance(name: string, start: () => Promise<RunningPeer>, expect: { mustPass: readonly string[]; minPassed: number }): void {
  describe(`conformance suite: ${name}`, () => {
    let upstream: RunningPeer;
    const targets = new TargetTable();
    const results = new Map<string, ConformanceResult>();

    before(async () => {
      upstream = await start();
      targets.add('direct', upstream.url);
      await addWardenTarget(targets, upstream.url, 'streamable-http');
    });
    after(async () => {
      await targets.closeAll();
      await upstream?.close();
    });

    it('runs on every target', async (t) => {
      for (const target of targets.list) {
        const result = await runConformance(target.url, { suite: 'active' });
        t.diagnostic(`${target.name}: ${result.passed} passed, ${result.failed} failed, ${result.warnings} warnings in ${result.durationMs} ms`);
        assert.deepEqual(result.printedTotal, { passed: result.passed, failed: result.failed }, 'the checks.json files agree with the printed total');
        results.set(target.name, result);
      }
    });

    it(`direct: the scenarios ${name} implements pass`, () => {
      const direct = results.get('direct');
      assert.ok(direct, 'the direct run happened');
      const passing = direct.scenarios.filter((s) => s.failed === 0 && s.passed > 0).map((s) => s.name);
      for (const scenario of expect.mustPass) assert.ok(passing.includes(scenario), `${scenario} passes directly\n${summary(direct)}`);
      assert.equal(direct.scenarios.find((s) => s.name === DNS_REBINDING)?.failed, 1);
      assert.ok(direct.passed >= expect.minPassed, `at least ${expect.minPassed} checks pass directly, got ${direct.passed}\n${summary(direct)}`);
    });

    it('through mcp-warden: the same counts as direct, and DNS rebinding passes', () => {
      const direct = results.get('direct')!;
      for (const target of targets.list.filter((t) => t.name !== 'direct')) assertSameAsDirect(direct, results.get(target.name)!, target.name);
    });
  });
}
