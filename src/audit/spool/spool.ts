import type { KeyObject } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WardenError } from '../../errors/warden-error.ts';
import { auditDropped, auditErrors, auditEventsWritten, auditSpoolBytes, auditSpoolFull } from '../audit-metrics.ts';
import { canonicalJson } from '../canonical-json.ts';
import { GENESIS_HASH, eventHash, linkOf, publicPem, signCheckpoint } from '../chain.ts';
import type { OcsfEvent } from '../ocsf-event.ts';
import { CURSOR_DIR, SEGMENT_DIR, acquireLock, fileSize, firstSeqOf, listSegments, recoverTail, segmentPath, writeAtomic } from './segment-files.ts';
import { readFrom, type Cursor, type SpoolEntry, type SpoolView } from './spool-reader.ts';

export interface SpoolOptions {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly maxBytes: number;
  readonly fullPolicy: 'block' | 'drop_oldest';
  readonly fsync: 'always' | 'batched';
  readonly fsyncIntervalMs: number;
  readonly retentionMs: number;
  readonly replicaId: string;
  readonly checkpoint?: { readonly key: KeyObject; readonly keyId: string; readonly everyEvents: number; readonly intervalMs: number };
  readonly logger: Logger;
}

interface Rec {
  readonly line: string;
  readonly event: OcsfEvent | undefined;
  readonly seq: number;
  bytes?: number;
}

const RESOLVED = Promise.resolve();

/** Committed entries kept in memory for sinks that keep up (bounded). */
const RECENT_MAX = 8192;
const CURSOR_PERSIST_MS = 250;

interface SegmentInfo {
  bytes: number;
  firstSeq: number | undefined;
}

/**
 * The durable spool: events are appended (in a batch per event-loop turn, off the request path) to
 * segment files, each one hash-chained to the one before; sinks read from their own cursor and the
 * cursor moves only when the sink acknowledged. Segments are deleted once every sink is past them
 * (and retention elapsed), or — with `drop_oldest` — when the spool is full, counting the loss.
 */
export class Spool implements SpoolView {
  readonly dir: string;
  readonly #o: SpoolOptions;
  readonly #segments = new Map<number, SegmentInfo>();
  readonly #cursors = new Map<string, Cursor>();
  readonly #waiters = new Set<() => void>();
  readonly #persisted = new Map<string, Cursor>();
  readonly #persistedAt = new Map<string, number>();
  readonly #persistTimers = new Map<string, NodeJS.Timeout>();
  #recent: SpoolEntry[] = [];
  #current = 0;
  #fh: FileHandle | undefined;
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #lastCheckpointSeq = 0;
  #checkpointDue = false;
  #buffer: OcsfEvent[] = [];
  /** Resolvers of the promises `append` returned for what is in #buffer (one per batch, not per event). */
  #bufferWaiters: (() => void)[] = [];
  #bufferWritten: Promise<void> | undefined;
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #dirty = false;
  #writeError: string | undefined;
  #closed = false;
  #timers: NodeJS.Timeout[] = [];
  #release: () => Promise<void> = async () => {};
  /** The last sequence number that was on disk when the spool opened (events up to it may be resent). */
  seqAtOpen = 0;

  private constructor(o: SpoolOptions) {
    this.#o = o;
    this.dir = o.dir;
  }

  static async open(o: SpoolOptions): Promise<Spool> {
    const spool = new Spool(o);
    await spool.#open();
    return spool;
  }

  async #open(): Promise<void> {
    const o = this.#o;
    this.#release = await acquireLock(o.dir);
    await mkdir(join(o.dir, SEGMENT_DIR), { recursive: true });
    await mkdir(join(o.dir, CURSOR_DIR), { recursive: true });
    // For convenience; an auditor verifies with their own copy of the public key.
    if (o.checkpoint !== undefined) await writeFile(join(o.dir, 'checkpoint-public-key.pem'), publicPem(o.checkpoint.key));
    const list = await listSegments(o.dir);
    for (const s of list) this.#segments.set(s, { bytes: await fileSize(segmentPath(o.dir, s)), firstSeq: await firstSeqOf(segmentPath(o.dir, s)) });
    // Recover the chain head from the newest segment that holds an event.
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i] as number;
      const tail = await recoverTail(segmentPath(o.dir, s));
      (this.#segments.get(s) as SegmentInfo).bytes = tail.size;
      if (tail.truncated > 0) o.logger.warn({ segment: s, bytes: tail.truncated }, 'audit spool: cut a torn record at the end of a segment (crash during a write)');
      if (tail.lastEventLine !== undefined) {
        const link = linkOf(JSON.parse(tail.lastEventLine));
        this.#seq = link?.seq ?? 0;
        this.#prevHash = eventHash(tail.lastEventLine);
        break;
      }
    }
    this.seqAtOpen = this.#seq;
    this.#lastCheckpointSeq = this.#seq;
    this.#current = list.length === 0 ? 1 : (list[list.length - 1] as number);
    if (!this.#segments.has(this.#current)) this.#segments.set(this.#current, { bytes: 0, firstSeq: undefined });
    this.#fh = await open(segmentPath(o.dir, this.#current), 'a');
    if (o.fsync === 'batched') this.#every(o.fsyncIntervalMs, () => this.#enqueue(() => this.#sync()));
    if (o.checkpoint !== undefined)
      this.#every(o.checkpoint.intervalMs, () => {
        if (this.#seq > this.#lastCheckpointSeq || this.#buffer.length > 0) {
          this.#checkpointDue = true;
          this.#schedule();
        }
      });
    this.#updateGauges();
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * Queues an event. Never blocks, never throws; sequence and hash are assigned when written. The
   * promise resolves once the event is written to the segment file (and synced, with fsync
   * `always`): from then on a crash of this process cannot lose it. Every event queued in the same
   * event-loop turn shares one write and one promise.
   */
  append(event: OcsfEvent): Promise<void> {
    if (this.#closed) {
      auditDropped.inc({ reason: 'closed' });
      return RESOLVED;
    }
    this.#buffer.push(event);
    this.#schedule();
    return (this.#bufferWritten ??= new Promise<void>((resolve) => this.#bufferWaiters.push(resolve)));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#enqueue(() => this.#flush());
    });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(task).catch((err: unknown) => {
      auditErrors.inc({ where: 'spool' });
      this.#o.logger.error({ err }, 'audit spool error');
    });
    return this.#chain;
  }

  async #flush(): Promise<void> {
    const events = this.#buffer;
    const waiters = this.#bufferWaiters;
    this.#buffer = [];
    this.#bufferWaiters = [];
    this.#bufferWritten = undefined;
    if (events.length === 0 && !this.#checkpointDue) {
      for (const w of waiters) w(); // their events were written by an attempt that failed later
      return;
    }
    const seq0 = this.#seq;
    const hash0 = this.#prevHash;
    const lines: string[] = [];
    const records: Rec[] = [];
    for (const ev of events) {
      const seq = ++this.#seq;
      ev.metadata.sequence = seq;
      ev.unmapped.chain = { replica_id: this.#o.replicaId, seq, prev_hash: this.#prevHash };
      const line = canonicalJson(ev);
      this.#prevHash = eventHash(line);
      lines.push(line);
      records.push({ line, event: ev, seq });
    }
    const cp = this.#o.checkpoint;
    if (cp !== undefined && this.#seq > this.#lastCheckpointSeq && (this.#checkpointDue || this.#seq - this.#lastCheckpointSeq >= cp.everyEvents)) {
      const line = canonicalJson(signCheckpoint({ replica_id: this.#o.replicaId, seq: this.#seq, hash: this.#prevHash, time: new Date().toISOString(), key_id: cp.keyId }, cp.key));
      lines.push(line);
      records.push({ line, event: undefined, seq: this.#seq });
    }
    let written = 0;
    try {
      // Cut the batch at segment boundaries so that a segment stays near segment_bytes.
      let chunk: Rec[] = [];
      let chunkBytes = 0;
      const info = () => this.#segments.get(this.#current) as SegmentInfo;
      for (let i = 0; i < records.length; i++) {
        const rec = records[i] as Rec;
        rec.bytes = Buffer.byteLength(rec.line) + 1;
        chunk.push(rec);
        chunkBytes += rec.bytes;
        if (info().bytes + chunkBytes >= this.#o.segmentBytes || i === records.length - 1) {
          await this.#write(chunk);
          written += chunk.filter((r) => r.event !== undefined).length;
          chunk = [];
          chunkBytes = 0;
          if (info().bytes >= this.#o.segmentBytes) await this.#rotate();
        }
      }
    } catch (err) {
      // Nothing is lost: unwritten events go back in front of the queue with their sequence undone.
      // A partial write would leave half a record: cut the segment back to its last whole record.
      await this.#fh?.truncate(this.#segments.get(this.#current)?.bytes ?? 0).catch(() => {});
      const unwritten = events.slice(Math.min(written, events.length));
      if (written < events.length) {
        this.#seq = seq0 + written;
        this.#prevHash = written === 0 ? hash0 : eventHash(lines[written - 1] as string);
        this.#buffer = [...unwritten, ...this.#buffer];
      }
      // Whoever waits for these events keeps waiting until the retry has written them.
      this.#bufferWaiters = [...waiters, ...this.#bufferWaiters];
      this.#writeError = (err as NodeJS.ErrnoException).code ?? 'write failed';
      this.#o.logger.error({ err }, 'audit spool: write failed; new requests are refused until it recovers');
      setTimeout(() => this.#schedule(), 1000).unref();
      this.#updateGauges();
      this.#notify();
      return;
    }
    this.#writeError = undefined;
    for (const w of waiters) w();
    if (lines.length > events.length) {
      this.#lastCheckpointSeq = this.#seq;
      this.#checkpointDue = false;
    }
    auditEventsWritten.inc(events.length);
    await this.#enforceCapacity();
    this.#notify();
  }

  async #write(chunk: Rec[]): Promise<void> {
    const buf = Buffer.from(chunk.map((r) => `${r.line}\n`).join(''));
    await (this.#fh as FileHandle).write(buf);
    if (this.#o.fsync === 'always') await (this.#fh as FileHandle).sync();
    else this.#dirty = true;
    const info = this.#segments.get(this.#current) as SegmentInfo;
    // Committed: remember the entries so that sinks that keep up never read them back from disk.
    let offset = info.bytes;
    for (const r of chunk) {
      offset += r.bytes as number;
      if (r.event === undefined) continue;
      info.firstSeq ??= r.seq;
      this.#recent.push({ seq: r.seq, line: r.line, event: r.event, after: { segment: this.#current, offset, seq: r.seq } });
    }
    if (this.#recent.length > RECENT_MAX) this.#recent.splice(0, this.#recent.length - RECENT_MAX / 2);
    info.bytes += buf.length;
  }

  async #rotate(): Promise<void> {
    const fh = this.#fh as FileHandle;
    await fh.sync();
    await fh.close();
    this.#dirty = false;
    this.#current++;
    this.#segments.set(this.#current, { bytes: 0, firstSeq: undefined });
    this.#fh = await open(segmentPath(this.dir, this.#current), 'a');
  }

  async #sync(): Promise<void> {
    if (!this.#dirty || this.#fh === undefined) return;
    this.#dirty = false;
    await this.#fh.sync();
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  // --- reading and acknowledging (SpoolView) ---------------------------------------------

  segmentList(): readonly number[] {
    return [...this.#segments.keys()].sort((a, b) => a - b);
  }

  committedBytes(segment: number): number | undefined {
    return this.#segments.get(segment)?.bytes;
  }

  read(cursor: Cursor, max: number): Promise<{ entries: SpoolEntry[]; next: Cursor }> {
    const recent = this.#recent;
    const first = recent[0];
    // The next event is in memory (sequence numbers in `recent` are contiguous): no disk read, no parse.
    if (first !== undefined && cursor.seq >= first.seq - 1) {
      const entries = recent.slice(cursor.seq - first.seq + 1, cursor.seq - first.seq + 1 + max);
      const last = entries[entries.length - 1];
      if (last !== undefined) return Promise.resolve({ entries, next: last.after });
    }
    return readFrom(this, cursor, max);
  }

  /** Resolves when something new is committed, or after `timeoutMs`. */
  waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** The sink's stored cursor, or the start of the oldest segment for a sink never seen before. */
  async cursorFor(sink: string): Promise<Cursor> {
    let cursor: Cursor;
    try {
      cursor = JSON.parse(await readFile(join(this.dir, CURSOR_DIR, `${sink}.json`), 'utf8')) as Cursor;
    } catch {
      cursor = { segment: this.segmentList()[0] ?? 1, offset: 0, seq: 0 };
    }
    this.#cursors.set(sink, cursor);
    this.#persisted.set(sink, cursor);
    return cursor;
  }

  /**
   * Records that a sink acknowledged everything up to `cursor`. The cursor file is written at most
   * every CURSOR_PERSIST_MS (and at close): a cursor on disk that lags only means duplicates after
   * a crash, never a loss, and it saves a file write per batch.
   */
  async ack(sink: string, cursor: Cursor): Promise<void> {
    this.#cursors.set(sink, cursor);
    const now = Date.now();
    if (now - (this.#persistedAt.get(sink) ?? 0) >= CURSOR_PERSIST_MS) await this.#persistCursor(sink);
    else if (!this.#persistTimers.has(sink)) {
      const t = setTimeout(() => {
        this.#persistTimers.delete(sink);
        this.#persistCursor(sink).catch((err: unknown) => this.#o.logger.error({ err, sink }, 'audit: cannot store a sink cursor'));
      }, CURSOR_PERSIST_MS);
      t.unref();
      this.#persistTimers.set(sink, t);
    }
  }

  async #persistCursor(sink: string): Promise<void> {
    const cursor = this.#cursors.get(sink);
    if (cursor === undefined) return;
    this.#persistedAt.set(sink, Date.now());
    await writeAtomic(join(this.dir, CURSOR_DIR, `${sink}.json`), JSON.stringify(cursor));
    // Retention follows what is on disk: a segment goes only once the stored cursors are past it.
    this.#persisted.set(sink, cursor);
    await this.#enqueue(() => this.#retain());
  }

  async #retain(): Promise<void> {
    const minSegment = this.#cursors.size === 0 ? this.#current : Math.min(...[...this.#cursors.keys()].map((k) => this.#persisted.get(k)?.segment ?? 0));
    for (const s of this.segmentList()) {
      if (s >= minSegment || s === this.#current) break;
      if (this.#o.retentionMs > 0) {
        const st = await stat(segmentPath(this.dir, s)).catch(() => undefined);
        if (st !== undefined && Date.now() - st.mtimeMs < this.#o.retentionMs) break;
      }
      await unlink(segmentPath(this.dir, s)).catch(() => {});
      this.#segments.delete(s);
    }
    this.#updateGauges();
  }

  totalBytes(): number {
    let total = 0;
    for (const info of this.#segments.values()) total += info.bytes;
    return total;
  }

  async #enforceCapacity(): Promise<void> {
    if (this.#o.fullPolicy === 'drop_oldest') {
      while (this.totalBytes() >= this.#o.maxBytes && this.#segments.size > 1) {
        const [oldest, next] = this.segmentList();
        if (oldest === undefined || oldest === this.#current) break;
        const first = this.#segments.get(oldest)?.firstSeq;
        const last = (next !== undefined ? this.#segments.get(next)?.firstSeq : undefined) ?? this.#seq + 1;
        let lost = 0;
        if (first !== undefined) for (const c of this.#cursors.values()) lost = Math.max(lost, last - 1 - Math.max(c.seq, first - 1));
        await unlink(segmentPath(this.dir, oldest)).catch(() => {});
        this.#segments.delete(oldest);
        this.#recent = this.#recent.filter((e) => e.seq >= last); // what is counted as lost is not delivered either
        if (lost > 0) {
          auditDropped.inc({ reason: 'drop_oldest' }, lost);
          this.#o.logger.error({ segment: oldest, events_lost: lost }, 'ALERT audit spool full: dropped the oldest segment before every sink acknowledged it');
        }
      }
    }
    this.#updateGauges();
  }

  #updateGauges(): void {
    auditSpoolBytes.set(this.totalBytes());
    auditSpoolFull.set(this.isFull() ? 1 : 0);
  }

  isFull(): boolean {
    return this.totalBytes() >= this.#o.maxBytes;
  }

  /** Before a new MCP request is admitted: refuse (fail closed) when events could not be kept. */
  admission(): WardenError | undefined {
    if (this.#writeError !== undefined) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit spool write failing: ${this.#writeError}` });
    if (this.#o.fullPolicy === 'block' && this.isFull()) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit spool holds ${this.totalBytes()} bytes (max ${this.#o.maxBytes})` });
    return undefined;
  }

  readiness(): { ok: boolean; reason?: string } {
    if (this.#writeError !== undefined) return { ok: false, reason: `audit spool write failing (${this.#writeError})` };
    if (this.#o.fullPolicy === 'block' && this.isFull()) return { ok: false, reason: 'audit spool full' };
    return { ok: true };
  }

  /** Writes what is queued (and a final checkpoint), syncs and releases the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearInterval(t);
    for (const [sink, t] of this.#persistTimers) {
      clearTimeout(t);
      this.#persistTimers.delete(sink);
    }
    for (const sink of this.#cursors.keys()) await this.#persistCursor(sink);
    if (this.#o.checkpoint !== undefined) this.#checkpointDue = true;
    await this.#enqueue(() => this.#flush());
    this.#closed = true;
    await this.#enqueue(async () => {
      this.#dirty = true;
      await this.#sync();
      await this.#fh?.close();
      this.#fh = undefined;
    });
    // Events that could not be written (a write failing until the end) are not waited for any longer.
    for (const w of this.#bufferWaiters) w();
    this.#bufferWaiters = [];
    this.#notify();
    await this.#release();
  }

  /** Everything appended so far is written (for tests and benchmarks). */
  async drain(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    await this.#enqueue(() => this.#flush());
  }
}
