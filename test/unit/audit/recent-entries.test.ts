import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentEntries } from '../../../src/audit/spool/recent-entries.ts';

const header = { time: 0, severityId: 1, eventCode: 'x', loggedTime: 0 };
const cursorAt = (seq: number) => ({ segment: 1, offset: seq * 100, seq });

function filled(n: number): RecentEntries {
  const recent = new RecentEntries('r');
  for (let seq = 1; seq <= n; seq++) recent.add(seq, `line ${seq}`, header, { segment: 1, offset: seq * 100 });
  return recent;
}

describe('RecentEntries (what sinks read from memory)', () => {
  it('serves a sink the entries after its cursor, contiguous, up to max', () => {
    const got = filled(10).read(cursorAt(3), 4);
    assert.deepEqual(got?.entries.map((e) => e.seq), [4, 5, 6, 7]);
    assert.deepEqual(got?.next, cursorAt(7));
  });

  it('lets go of what every sink acknowledged, yet still knows a caught-up sink is caught up (no disk read)', () => {
    const recent = filled(10);
    recent.release(10);
    assert.deepEqual(recent.read(cursorAt(10), 5), { entries: [], next: cursorAt(10) });
    assert.equal(recent.read(cursorAt(9), 5), undefined, 'a released entry is not served: it is read from disk');
    recent.add(11, 'line 11', header, { segment: 1, offset: 1100 });
    assert.deepEqual(recent.read(cursorAt(10), 5)?.entries.map((e) => e.seq), [11]);
  });

  it('keeps what a lagging sink has not acknowledged, through many releases and adds', () => {
    const recent = filled(1000);
    for (let seq = 1; seq <= 890; seq += 7) recent.release(seq);
    recent.release(890);
    assert.equal(recent.read(cursorAt(890), 3)?.entries[0]?.seq, 891);
    assert.equal(recent.read(cursorAt(880), 3), undefined);
  });

  it('is bounded: a sink that lags more than the window reads from disk', () => {
    const recent = filled(8193);
    assert.equal(recent.read(cursorAt(0), 10), undefined);
    assert.equal(recent.read(cursorAt(8000), 1)?.entries[0]?.seq, 8001);
  });

  it('forgets entries of a dropped segment', () => {
    const recent = filled(10);
    recent.dropBefore(6);
    assert.equal(recent.read(cursorAt(3), 2), undefined);
    assert.deepEqual(recent.read(cursorAt(5), 2)?.entries.map((e) => e.seq), [6, 7]);
  });
});
