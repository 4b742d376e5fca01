import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runConformance, startV2Fixture, type ConformanceResult, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';
import { assertSameAsDirect, DNS_REBINDING, summary } from './compare.ts';

/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, active suite) against
 * the SDK v2 fixture (createMcpHandler, both eras), on every target of the table in the same run. The direct
 * run is the baseline: the scenarios the fixture implements pass (it serves the suite's `test_*`
 * tools), resources, prompts, sampling and elicitation scenarios fail, and the bare server fails DNS rebinding. A proxied target must give
 * the same counts scenario by scenario, and must pass DNS rebinding. About 3 s per target.
 */
describe('conformance suite: SDK v2 fixture', () => {
  let upstream: RunningPeer;
  const targets = new TargetTable();
  const results = new Map<string, ConformanceResult>();

  before(async () => {
    upstream = await startV2Fixture();
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

  it('direct: the scenarios the fixture implements pass', () => {
    const direct = results.get('direct');
    assert.ok(direct, 'the direct run happened');
    const passing = direct.scenarios.filter((s) => s.failed === 0 && s.passed > 0).map((s) => s.name);
    for (const scenario of ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'tools-call-simple-text', 'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content', 'tools-call-error', 'tools-call-with-logging', 'tools-call-with-progress']) {
      assert.ok(passing.includes(scenario), `${scenario} passes directly\n${summary(direct)}`);
    }
    assert.equal(direct.scenarios.find((s) => s.name === DNS_REBINDING)?.failed, 1);
    assert.ok(direct.passed >= 13, `at least 13 checks pass directly, got ${direct.passed}\n${summary(direct)}`);
  });

  it('every other target: the same counts as direct, and DNS rebinding passes', () => {
    const direct = results.get('direct')!;
    for (const target of targets.list.filter((t) => t.name !== 'direct')) {
      assertSameAsDirect(direct, results.get(target.name)!, target.name);
    }
  });
});
