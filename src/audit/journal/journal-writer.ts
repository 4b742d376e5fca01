import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_DIR, journalPath, listJournalFiles } from './journal-files.ts';
import type { JournalProgress } from './journal-progress.ts';

/**
 * The proxy thread's side of the audit journal: each event-loop turn's events are appended with one
 * synchronous write. Once `append` returns, the events are in the file (the kernel's page cache):
 * a kill -9 of mcp-warden cannot lose them, and the answers that waited for them may go out. The
 * audit thread reads them from there into the hash-chained spool (journal-reader.ts), so the work
 * of building, hashing and shipping events never holds an answer.
 *
 * A write that fails (disk full, I/O error) may leave a partial line: the file is given up and the
 * next append starts a new one; the reader skips the partial line, whose answers were refused.
 */
export class JournalWriter {
  readonly #spoolDir: string;
  readonly #fileBytes: number;
  readonly #progress: JournalProgress;
  #index: number;
  #fd: number | undefined;
  #size = 0;

  private constructor(spoolDir: string, fileBytes: number, progress: JournalProgress, index: number) {
    this.#spoolDir = spoolDir;
    this.#fileBytes = fileBytes;
    this.#progress = progress;
    this.#index = index;
  }

  /**
   * Opens a new journal file after any left by an earlier run (the reader spools those first).
   * Call once the audit thread holds the spool (it has read what earlier runs left).
   */
  static open(spoolDir: string, fileBytes: number, progress: JournalProgress): JournalWriter {
    // Owner only: until the audit thread chains them, journal lines are not tamper-evident.
    mkdirSync(join(spoolDir, JOURNAL_DIR), { recursive: true, mode: 0o700 });
    const existing = listJournalFiles(spoolDir);
    // What earlier runs left and the reader has not spooled yet counts as backlog from the start.
    let left = 0;
    for (const i of existing) left += statSync(journalPath(spoolDir, i)).size;
    progress.addWritten(left);
    const writer = new JournalWriter(spoolDir, fileBytes, progress, existing.at(-1) ?? 0);
    writer.#openNext();
    return writer;
  }

  /** Appends whole lines (each ending in `\n`); throws if they are not all in the file. */
  append(lines: string): void {
    if (this.#fd === undefined) this.#openNext();
    const fd = this.#fd as number;
    const data = Buffer.from(lines, 'utf8');
    let done = 0;
    try {
      while (done < data.length) done += writeSync(fd, data, done);
    } catch (err) {
      this.#giveUp();
      throw err;
    } finally {
      this.#size += done;
      this.#progress.addWritten(done);
    }
    if (this.#size >= this.#fileBytes) this.#giveUp();
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The current file is done with (full, or a write failed): the next append opens the next one. */
  #giveUp(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }

  #openNext(): void {
    const index = this.#index + 1;
    this.#fd = openSync(journalPath(this.#spoolDir, index), 'a', 0o600);
    this.#index = index;
    this.#size = 0;
    // Only now may the reader move past the previous file: nothing more will be written to it.
    this.#progress.file = index;
  }
}
