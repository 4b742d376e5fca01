import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { journalPath, listJournalFiles } from '../../../src/audit/journal/journal-files.ts';
import { JournalProgress } from '../../../src/audit/journal/journal-progress.ts';
import { JournalPump } from '../../../src/audit/journal/journal-pump.ts';
import { JournalReader, type JournalEntry } from '../../../src/audit/journal/journal-reader.ts';
import { JournalWriter } from '../../../src/audit/journal/journal-writer.ts';
import { metricsRegistry } from '../../../src/metrics/registry.ts';
import { sampleFacts, silent, tempDir } from './spool-helpers.ts';

const line = (uid: string) => JSON.stringify([uid, sampleFacts(), 1]);

/** Everything the reader has to give now, consumed as the pump would. */
function readAll(reader: JournalReader, progress: JournalProgress): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (;;) {
    const { entries, bytes } = reader.read();
    if (bytes === 0) return out;
    out.push(...entries);
    progress.addConsumed(bytes);
  }
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const m = await metricsRegistry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

describe('audit journal', () => {
  it('the reader gets every line the writer appended, in order, across files; files read to the end are deleted', () => {
    const dir = tempDir();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, undefined, silent);
    const writer = JournalWriter.open(dir, 4096, progress);
    const uids: string[] = [];
    const got: string[] = [];
    for (let turn = 0; turn < 60; turn++) {
      const batch = [0, 1, 2].map((i) => `u-${turn}-${i}`);
      uids.push(...batch);
      writer.append(`${batch.map(line).join('\n')}\n`);
      if (turn % 7 === 0) got.push(...readAll(reader, progress).map(([uid]) => uid));
    }
    got.push(...readAll(reader, progress).map(([uid]) => uid));
    assert.deepEqual(got, uids);
    assert.ok(listJournalFiles(dir).length > 5, 'the writer started new files past 4096 bytes');
    assert.equal(progress.backlog, 0);
    reader.deleteFinished();
    assert.deepEqual(listJournalFiles(dir), [progress.file], 'only the file being written is left');
    writer.close();
    reader.deleteSpooled();
    assert.deepEqual(listJournalFiles(dir), [], 'at shutdown, with everything spooled, nothing is left');
  });

  it('after a crash the reader resumes right after the newest spooled event, in whichever file holds it; earlier files are deleted', () => {
    const dir = tempDir();
    const w = JournalWriter.open(dir, 4096, new JournalProgress());
    const uids = Array.from({ length: 90 }, (_, i) => `uid-${i}`);
    for (const uid of uids) w.append(`${line(uid)}\n`);
    w.close(); // killed: nothing else happens to these files
    const files = listJournalFiles(dir);
    assert.ok(files.length >= 3);

    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, 'uid-41', silent);
    const writer = JournalWriter.open(dir, 4096, progress);
    writer.append(`${line('after-restart')}\n`);
    assert.deepEqual(readAll(reader, progress).map(([uid]) => uid), [...uids.slice(42), 'after-restart']);
    assert.equal(progress.backlog, 0, 'the backlog counts what was left, less what was spooled already');
    assert.ok(!existsSync(journalPath(dir, files[0] as number)), 'a file before the resume point is gone');
  });

  it('when no file holds the newest spooled event, everything left is newer: read from the oldest file', () => {
    const dir = tempDir();
    const w = JournalWriter.open(dir, 1 << 20, new JournalProgress());
    w.append(`${line('a')}\n${line('b')}\n`);
    w.close();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, 'spooled-from-a-deleted-file', silent);
    JournalWriter.open(dir, 1 << 20, progress);
    assert.deepEqual(readAll(reader, progress).map(([uid]) => uid), ['a', 'b']);
  });

  it('a line is read only once it is whole; an unreadable line is skipped and counted', async () => {
    const dir = tempDir();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, undefined, silent);
    const writer = JournalWriter.open(dir, 1 << 20, progress);
    const unreadable = await counter('mcp_warden_audit_events_dropped_total', { reason: 'unreadable' });
    writer.append(`${line('a')}\nnot json\n${line('b')}\n`);
    appendFileSync(journalPath(dir, progress.file), '["torn-by-a-failed-wr'); // what a write cut short leaves
    assert.deepEqual(readAll(reader, progress).map(([uid]) => uid), ['a', 'b'], 'a partial line waits for its end while the file is current');
    assert.equal(await counter('mcp_warden_audit_events_dropped_total', { reason: 'unreadable' }), unreadable + 1);
    writer.append(`${line('c')}\n`);
    assert.deepEqual(readAll(reader, progress).map(([uid]) => uid), [], 'a line appended after a partial one joins it: one unreadable line, skipped (which is why the writer gives a file up after a failed write)');
  });

  it('a write that fails gives the file up: the next append starts a new file, and the reader skips the torn end of the old one', () => {
    const dir = tempDir();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, undefined, silent);
    const writer = JournalWriter.open(dir, 4096, progress);
    writer.append(`${line('a')}\n`);
    // The next file's name is taken by a directory: once this file is full, opening the next fails.
    const first = progress.file;
    mkdirSync(journalPath(dir, first + 1));
    writer.append(`${line('b')}\n${'x'.repeat(5000)}\n`); // fills the file (an unreadable line, counted)
    assert.throws(() => writer.append(`${line('c')}\n`), /EISDIR/);
    assert.equal(progress.file, first, 'no new file yet');
    rmdirSync(journalPath(dir, first + 1));
    // As a write cut short by a full disk would leave it (the writer counts the bytes it wrote).
    appendFileSync(journalPath(dir, first), '["torn');
    progress.addWritten(6);
    writer.append(`${line('d')}\n`);
    assert.equal(progress.file, first + 1);
    assert.deepEqual(readAll(reader, progress).map(([uid]) => uid), ['a', 'b', 'd'], 'c was never written (its answers were refused); the torn end is skipped');
    assert.equal(progress.backlog, 0, 'the skipped bytes count as consumed');
  });

  it('a line longer than one read comes whole from a single read', () => {
    const dir = tempDir();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, undefined, silent);
    const writer = JournalWriter.open(dir, 8 << 20, progress);
    const long = JSON.stringify(['long', { ...sampleFacts(), message: 'x'.repeat(3 << 20) }, 1]);
    writer.append(`${line('before')}\n${long}\n${line('after')}\n`);
    const first = reader.read();
    assert.deepEqual(first.entries.map(([uid]) => uid), ['before']);
    const second = reader.read();
    assert.equal(second.entries[0]?.[0], 'long', 'the 3 MiB line is not left for a later pass');
  });

  it('once the spool refuses a write, the pump stops: it reads no further and deletes no file, so the next start spools what is left', async () => {
    const dir = tempDir();
    const progress = new JournalProgress();
    const reader = JournalReader.open(dir, progress, undefined, silent);
    const writer = JournalWriter.open(dir, 4096, progress);
    // Refuses the first pass's writes, then would take everything: a pump that read on would spool
    // the later files and delete the one whose events were refused.
    let refusing = true;
    const appended: string[] = [];
    const spool = {
      append: (uid: string) => (refusing ? Promise.reject(new Error('audit spool is closed')) : (appended.push(uid), Promise.resolve())),
      sync: async () => {},
    };
    const pump = new JournalPump({ reader, spool, progress, logger: silent });
    for (let i = 0; i < 20; i++) writer.append(`${line(`u${i}`)}\n`); // several files
    const files = listJournalFiles(dir);
    await assert.rejects(pump.pass(), /closed/);
    refusing = false;
    await assert.rejects(pump.pass(), /closed/, 'and every later pass');
    assert.deepEqual(appended, [], 'nothing after the refused write was spooled');
    assert.deepEqual(listJournalFiles(dir), files, 'no journal file was deleted');
    assert.equal(progress.consumed, 0);
    assert.match(pump.failure?.message ?? '', /closed/, 'the audit thread reports it (new requests are refused)');
    pump.stop();
  });
});
