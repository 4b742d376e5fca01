import { closeSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ExchangeFacts } from '../audit-facts.ts';
import { auditDropped, auditErrors } from '../audit-metrics.ts';
import { journalPath, listJournalFiles } from './journal-files.ts';
import type { JournalProgress } from './journal-progress.ts';

/** One journal line: the event's uid, its facts, and when the proxy thread logged it. */
export type JournalEntry = readonly [uid: string, facts: ExchangeFacts, loggedAt: number];

/** What one read gave: the entries, and how many journal bytes they (and any unreadable line) took. */
export interface JournalRead {
  readonly entries: JournalEntry[];
  readonly bytes: number;
}

const READ_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * The audit thread's side of the journal (see journal-writer.ts): reads the lines the proxy thread
 * appended, in order, from file to file. At start it resumes right after the last event the spool
 * already holds, so that what a crash left in the journal is spooled once — not lost, not twice.
 * A file is deleted once the reader moved past it and the spool synced its events.
 */
export class JournalReader {
  readonly #spoolDir: string;
  readonly #progress: JournalProgress;
  readonly #log: Logger;
  #index: number | undefined;
  #fd: number | undefined;
  #pos = 0;
  /** The start of a line whose end has not been read yet, in the pieces it was read in. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  readonly #buffer = Buffer.allocUnsafe(READ_BYTES);
  /** Files read to the end, to delete once the spool synced their events. */
  #finished: number[] = [];

  private constructor(spoolDir: string, progress: JournalProgress, log: Logger) {
    this.#spoolDir = spoolDir;
    this.#progress = progress;
    this.#log = log;
  }

  /**
   * `lastSpooledUid`: the uid of the newest event in the spool. Files before the one holding it are
   * deleted (spooled already); reading starts right after its line, or at the oldest file when no
   * file holds it (every event left in the journal is newer than the spool's).
   */
  static open(spoolDir: string, progress: JournalProgress, lastSpooledUid: string | undefined, log: Logger): JournalReader {
    const reader = new JournalReader(spoolDir, progress, log);
    const files = listJournalFiles(spoolDir);
    let start = 0;
    let offset = 0;
    if (lastSpooledUid !== undefined) {
      const needle = Buffer.from(`["${lastSpooledUid}",`);
      for (let k = files.length - 1; k >= 0; k--) {
        const data = readFileSync(journalPath(spoolDir, files[k] as number));
        const at = lineStarting(data, needle);
        if (at === undefined) continue;
        const end = data.indexOf(NEWLINE, at);
        start = k;
        offset = end === -1 ? data.length : end + 1;
        break;
      }
    }
    for (const done of files.slice(0, start)) unlinkSync(journalPath(spoolDir, done));
    if (files.length > 0) {
      reader.#index = files[start];
      reader.#pos = offset;
      progress.addConsumed(offset); // the writer counts these files whole as backlog
      const left = files.length - start;
      log.info({ files: left, resume_at: { file: reader.#index, offset } }, 'audit journal: spooling what an earlier run left');
    }
    return reader;
  }

  /** The next complete lines, up to about 1 MiB; no entries when there is nothing new. */
  read(): JournalRead {
    for (;;) {
      if (this.#fd === undefined && !this.#openCurrent()) return { entries: [], bytes: 0 };
      // Looked at before reading: if the writer has moved to a later file, this one is complete.
      const writerMovedOn = this.#progress.file > (this.#index as number);
      const n = readSync(this.#fd as number, this.#buffer, 0, READ_BYTES, this.#pos);
      if (n > 0) {
        this.#pos += n;
        const got = this.#lines(this.#buffer.subarray(0, n));
        if (got.bytes > 0) return got;
        continue; // only part of a line so far: read on (a long line, or a torn end to skip)
      }
      if (!writerMovedOn) return { entries: [], bytes: 0 };
      const torn = this.#partialBytes;
      if (torn > 0) {
        // A write that failed part-way (its answers were refused): the writer gave up this file.
        auditErrors.inc({ where: 'journal' });
        this.#log.warn({ file: this.#index, bytes: torn }, 'audit journal: skipped a partial line left by a failed write');
        this.#partial = [];
        this.#partialBytes = 0;
      }
      this.#nextFile();
      if (torn > 0) return { entries: [], bytes: torn };
    }
  }

  /** Deletes the files read to the end. Call only once the spool synced every event read so far. */
  deleteFinished(): void {
    for (const index of this.#finished.splice(0)) {
      try {
        unlinkSync(journalPath(this.#spoolDir, index));
      } catch (err) {
        auditErrors.inc({ where: 'journal' });
        this.#log.error({ err, file: index }, 'audit journal: could not delete a spooled file');
      }
    }
  }

  /**
   * At shutdown, once the spool is closed (synced): the writer closed the journal first, so the file
   * read to its end is finished too, and every finished file goes.
   */
  deleteSpooled(): void {
    if (this.#index !== undefined && this.#partialBytes === 0 && this.#fd !== undefined && this.#index === this.#progress.file && this.#progress.backlog === 0) {
      this.close();
      this.#finished.push(this.#index);
    }
    this.close();
    this.deleteFinished();
  }

  get hasFinished(): boolean {
    return this.#finished.length > 0;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #openCurrent(): boolean {
    if (this.#index === undefined) {
      // Nothing was left at start: the first file is the writer's first (it may be on a later one by now).
      if (this.#progress.file === 0) return false;
      this.#index = listJournalFiles(this.#spoolDir)[0] ?? this.#progress.file;
      this.#pos = 0;
    }
    this.#fd = openSync(journalPath(this.#spoolDir, this.#index), 'r');
    return true;
  }

  #nextFile(): void {
    this.close();
    const index = this.#index as number;
    this.#finished.push(index);
    // The next file that exists: normally index + 1, the writer's next.
    this.#index = listJournalFiles(this.#spoolDir).find((i) => i > index) ?? index + 1;
    this.#pos = 0;
  }

  #lines(chunk: Buffer): JournalRead {
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      // Still inside one line: keep the piece; no byte is copied or searched twice.
      this.#partial.push(Buffer.from(chunk));
      this.#partialBytes += chunk.length;
      return { entries: [], bytes: 0 };
    }
    const data = this.#partialBytes === 0 ? chunk : Buffer.concat([...this.#partial, chunk]);
    const end = data.length - chunk.length + lastNewline + 1;
    const rest = data.subarray(end);
    this.#partial = rest.length === 0 ? [] : [Buffer.from(rest)];
    this.#partialBytes = rest.length;
    const entries: JournalEntry[] = [];
    let bytes = 0;
    for (let start = 0; start < end; ) {
      const nl = data.indexOf(NEWLINE, start);
      const line = data.toString('utf8', start, nl);
      const lineBytes = nl + 1 - start;
      bytes += lineBytes;
      start = nl + 1;
      const entry = parseEntry(line);
      if (entry !== undefined) entries.push(entry);
      else {
        auditErrors.inc({ where: 'journal' });
        auditDropped.inc({ reason: 'unreadable' });
        this.#log.error({ file: this.#index, bytes: lineBytes }, 'audit journal: an unreadable line was skipped');
      }
    }
    return { entries, bytes };
  }
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'object' && v[1] !== null && typeof v[2] === 'number') return v as unknown as JournalEntry;
  } catch {
    // falls through: not a journal line
  }
  return undefined;
}

/** Where a line beginning with `needle` starts in `data`, if one does. */
function lineStarting(data: Buffer, needle: Buffer): number | undefined {
  for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + 1)) {
    if (at === 0 || data[at - 1] === NEWLINE) return at;
  }
  return undefined;
}
