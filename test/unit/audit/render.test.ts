import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, retryDelayMs } from '../../../src/audit/backoff.ts';
import { canonicalJson } from '../../../src/audit/canonical-json.ts';
import { cefHeader, cefValue, toCef } from '../../../src/audit/render/cef.ts';
import { renderer } from '../../../src/audit/render/render.ts';
import { retryAfterMs } from '../../../src/audit/sinks/sink.ts';
import { octetCounted, sdValue } from '../../../src/audit/sinks/syslog-format.ts';
import { sampleEvent } from './spool-helpers.ts';

describe('renderers and delivery helpers', () => {
  it('CEF escapes header pipes and extension equals signs, backslashes and newlines', () => {
    assert.equal(cefHeader('a|b\\c'), 'a\\|b\\\\c');
    assert.equal(cefValue('x=1\\y\nz'), 'x\\=1\\\\y\\nz');
    const e = sampleEvent();
    e.message = 'pipe | and = sign';
    (e.unmapped.mcp as Record<string, unknown>).tool = 'evil=tool\nnext';
    const line = toCef(e);
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /\|pipe \\\| and = sign\|/);
    assert.match(line, / cs1=evil\\=tool\\nnext /);
  });

  it('an event renders the same from memory (absent facts as undefined members) and from its spooled line', () => {
    // Sinks that keep up render the in-memory event; after a restart they render the parsed line.
    const e = sampleEvent();
    const line = canonicalJson(e);
    assert.ok(!line.includes('undefined'));
    for (const format of ['ocsf', 'ecs', 'cef'] as const) {
      const render = renderer(format);
      const fromMemory = render({ seq: 1, line, event: e, after: { segment: 1, offset: 0, seq: 1 } });
      const fromDisk = render({ seq: 1, line, event: JSON.parse(line) as typeof e, after: { segment: 1, offset: 0, seq: 1 } });
      // ECS is JSON whose nested key order follows the object (memory: insertion order; disk: sorted).
      if (format === 'ecs') assert.deepEqual(JSON.parse(fromMemory), JSON.parse(fromDisk));
      else assert.equal(fromMemory, fromDisk, format);
    }
  });

  it('RFC 5424 SD-PARAM values escape " \\ ] and octet counting counts bytes, not characters', () => {
    assert.equal(sdValue('a"b]c\\'), 'a\\"b\\]c\\\\');
    assert.equal(octetCounted('é').toString(), '2 é');
  });

  it('backoff grows exponentially with jitter, is capped, and Retry-After wins when longer', () => {
    assert.equal(backoffMs(0, 100, 10_000, () => 0.999), 99);
    assert.equal(backoffMs(3, 100, 10_000, () => 0.999), 799);
    assert.equal(backoffMs(30, 100, 10_000, () => 0.999), 9990);
    assert.equal(backoffMs(5, 100, 10_000, () => 0), 50, 'never zero: a floor of half the initial delay');
    assert.equal(retryDelayMs(0, 100, 10_000, 5000, () => 0.5), 5000);
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(Date.now() + 2000).toUTCString()) !== undefined, true);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});
