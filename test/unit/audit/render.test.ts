import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, retryDelayMs } from '../../../src/audit/backoff.ts';
import { cefHeader, cefValue, toCef } from '../../../src/audit/render/cef.ts';
import { renderer } from '../../../src/audit/render/render.ts';
import { retryAfterMs } from '../../../src/audit/sinks/sink.ts';
import { octetCounted, sdValue } from '../../../src/audit/sinks/syslog-format.ts';
import { SpoolEntry } from '../../../src/audit/spool/spool-reader.ts';
import { sampleEvent, sampleFacts, toOcsf } from './spool-helpers.ts';

describe('renderers and delivery helpers', () => {
  it('CEF escapes header pipes and extension equals signs, backslashes and newlines', () => {
    assert.equal(cefHeader('a|b\\c'), 'a\\|b\\\\c');
    assert.equal(cefValue('x=1\\y\nz'), 'x\\=1\\\\y\\nz');
    const e = toOcsf(sampleFacts(), 'u', Date.now());
    e.message = 'pipe | and = sign';
    (e.unmapped.mcp as Record<string, unknown>).tool = 'evil=tool\nnext';
    const line = toCef(e);
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /\|pipe \\\| and = sign\|/);
    assert.match(line, / cs1=evil\\=tool\\nnext /);
  });

  it('an entry kept in memory (header from the facts) renders and reads the same as the entry read back from its line', () => {
    // Sinks that keep up read entries from memory, which carry a header built with the line; after a
    // restart they read entries parsed back from the spool file. Both must tell sinks the same.
    const e = sampleEvent();
    const line = e.line({ replica_id: 'replica-a', seq: 1, prev_hash: '0'.repeat(64) });
    const after = { segment: 1, offset: 0, seq: 1 };
    const fromMemory = new SpoolEntry(1, line, e.header, 'replica-a', after);
    const fromDisk = SpoolEntry.fromDisk(line, JSON.parse(line), after);
    assert.deepEqual(fromMemory.header, fromDisk.header);
    assert.equal(fromMemory.replicaId, fromDisk.replicaId);
    assert.deepEqual(fromMemory.event, fromDisk.event);
    for (const format of ['ocsf', 'ecs', 'cef'] as const) assert.equal(renderer(format)(fromMemory), renderer(format)(fromDisk), format);
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
