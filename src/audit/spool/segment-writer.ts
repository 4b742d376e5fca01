import { writeSync } from 'node:fs';
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SEGMENT_DIR, fileSize, firstSeqOf, listSegments, recoverTail, segmentPath } from './segment-files.ts';

interface SegmentInfo {
  bytes: number;
  firstSeq: number | undefined;
}

/** One line to append; `seq` is its event's sequence number, undefined for a checkpoint line. */
export interface SegmentRecord {
  readonly line: string;
  readonly seq: number | undefined;
}

/** Where a written record ends: the position a reader resumes from after it. */
export interface RecordEnd {
  readonly segment: number;
  readonly offset: number;
}

const RESOLVED = Promise.resolve();

/**
 * The segment files of one spool directory and the one being appended to: which segments exist,
 * how many bytes of each are written (what a sink may read), rotation at `segmentBytes`, fsync. A
 * failed write is cut back, so a segment never ends in half a record. Writes are not concurrent
 * (the spool serialises them); a batched fsync runs beside them and never delays one.
 */
export class SegmentWriter {
  readonly dir: string;
  readonly #segments = new Map<number, SegmentInfo>();
  readonly #segmentBytes: number;
  readonly #fsyncAlways: boolean;
  #current = 0;
  #fh: FileHandle | undefined;
  #dirty = false;
  #syncing: Promise<void> | undefined;
  /**
   * An fsync failed. On Linux the pages it could not write are then marked clean, so a later fsync
   * can succeed without the data being on disk: from here on nothing can be called synced.
   */
  syncFailure: Error | undefined;

  private constructor(dir: string, segmentBytes: number, fsyncAlways: boolean) {
    this.dir = dir;
    this.#segmentBytes = segmentBytes;
    this.#fsyncAlways = fsyncAlways;
  }

  /** Opens the directory; after a crash, cuts a torn last record. Returns the last complete event line (the chain head). */
  static async open(o: { dir: string; segmentBytes: number; fsyncAlways: boolean; logger: Logger }): Promise<{ writer: SegmentWriter; lastEventLine: string | undefined }> {
    const w = new SegmentWriter(o.dir, o.segmentBytes, o.fsyncAlways);
    await mkdir(join(o.dir, SEGMENT_DIR), { recursive: true });
    const list = listSegments(o.dir);
    for (const s of list) w.#segments.set(s, { bytes: await fileSize(segmentPath(o.dir, s)), firstSeq: await firstSeqOf(segmentPath(o.dir, s)) });
    let lastEventLine: string | undefined;
    // The chain head is in the newest segment that holds an event.
    for (let i = list.length - 1; i >= 0 && lastEventLine === undefined; i--) {
      const s = list[i] as number;
      const tail = await recoverTail(segmentPath(o.dir, s));
      (w.#segments.get(s) as SegmentInfo).bytes = tail.size;
      if (tail.truncated > 0) o.logger.warn({ segment: s, bytes: tail.truncated }, 'audit spool: cut a torn record at the end of a segment (crash during a write)');
      lastEventLine = tail.lastEventLine;
    }
    w.#current = list.length === 0 ? 1 : (list[list.length - 1] as number);
    if (!w.#segments.has(w.#current)) w.#segments.set(w.#current, { bytes: 0, firstSeq: undefined });
    w.#fh = await open(segmentPath(o.dir, w.#current), 'a');
    return { writer: w, lastEventLine };
  }

  get current(): number {
    return this.#current;
  }

  list(): number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  committedBytes(segment: number): number | undefined {
    return this.#segments.get(segment)?.bytes;
  }

  firstSeq(segment: number): number | undefined {
    return this.#segments.get(segment)?.firstSeq;
  }

  totalBytes(): number {
    let total = 0;
    for (const info of this.#segments.values()) total += info.bytes;
    return total;
  }

  /**
   * Appends a batch, cut at segment boundaries so that a segment stays near `segmentBytes`.
   * `committed` is called for every record once the write holding it returned (and, with fsync
   * `always`, was synced). On an error the current segment is cut back to its last whole record and
   * the error is thrown: the records `committed` was not called for were not written.
   */
  async write(records: readonly SegmentRecord[], committed: (rec: SegmentRecord, end: RecordEnd) => void): Promise<void> {
    const sizes = records.map((r) => Buffer.byteLength(r.line) + 1);
    let start = 0;
    let chunkBytes = 0;
    try {
      for (let i = 0; i < records.length; i++) {
        chunkBytes += sizes[i] as number;
        if (this.#info().bytes + chunkBytes >= this.#segmentBytes || i === records.length - 1) {
          await this.#writeChunk(records.slice(start, i + 1), sizes.slice(start, i + 1), committed);
          start = i + 1;
          chunkBytes = 0;
          if (this.#info().bytes >= this.#segmentBytes) await this.#rotate();
        }
      }
    } catch (err) {
      await this.#fh?.truncate(this.#info().bytes).catch(() => {});
      throw err;
    }
  }

  #info(): SegmentInfo {
    return this.#segments.get(this.#current) as SegmentInfo;
  }

  async #writeChunk(chunk: readonly SegmentRecord[], sizes: readonly number[], committed: (rec: SegmentRecord, end: RecordEnd) => void): Promise<void> {
    let text = '';
    for (const r of chunk) text += `${r.line}\n`;
    const buf = Buffer.from(text);
    // No handle after a rotation that could not open the next segment: try again now.
    const fh = (this.#fh ??= await open(segmentPath(this.dir, this.#current), 'a'));
    // A synchronous write, on purpose: an append of one batch to the page cache takes microseconds,
    // while a write through the libuv thread pool queues behind fsyncs (ours, a file sink's) that
    // take milliseconds on a slow disk — and every answer of the batch waits for this write.
    // The fsync (`always`, or batched) stays asynchronous.
    for (let done = 0; done < buf.length; ) done += writeSync(fh.fd, buf, done, buf.length - done);
    if (this.#fsyncAlways) await fh.sync().catch((err: unknown) => this.#failSync(err));
    else this.#dirty = true;
    const info = this.#info();
    let offset = info.bytes;
    for (let i = 0; i < chunk.length; i++) {
      const r = chunk[i] as SegmentRecord;
      offset += sizes[i] as number;
      if (r.seq !== undefined) info.firstSeq ??= r.seq;
      committed(r, { segment: this.#current, offset });
    }
    info.bytes += buf.length;
  }

  async #rotate(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined; // no batched fsync starts on a handle being closed
    await this.#syncing?.catch(() => {});
    try {
      await fh?.sync();
    } finally {
      await fh?.close();
    }
    this.#dirty = false;
    this.#current++;
    this.#segments.set(this.#current, { bytes: 0, firstSeq: undefined });
    this.#fh = await open(segmentPath(this.dir, this.#current), 'a');
  }

  /** Batched fsync of what is written so far; beside the writes, not in their queue. */
  sync(): Promise<void> {
    if (this.syncFailure !== undefined) return Promise.reject(this.syncFailure);
    if (this.#syncing !== undefined) return this.#syncing;
    if (!this.#dirty || this.#fh === undefined) return RESOLVED;
    this.#dirty = false;
    this.#syncing = this.#fh
      .sync()
      .catch((err: unknown) => this.#failSync(err))
      .finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  #failSync(err: unknown): never {
    this.syncFailure ??= err as Error;
    throw err;
  }

  /** Everything written before this call is synced: an fsync already under way may have started before the last write. */
  async syncWritten(): Promise<void> {
    if (this.#syncing !== undefined) await this.#syncing;
    await this.sync();
  }

  async mtimeMs(segment: number): Promise<number | undefined> {
    return (await stat(segmentPath(this.dir, segment)).catch(() => undefined))?.mtimeMs;
  }

  async remove(segment: number): Promise<void> {
    await unlink(segmentPath(this.dir, segment)).catch(() => {});
    this.#segments.delete(segment);
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await this.#syncing?.catch(() => {});
    if (fh === undefined) return;
    await fh.sync();
    await fh.close();
  }
}
