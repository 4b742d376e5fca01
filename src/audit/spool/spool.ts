import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WardenError } from '../../errors/warden-error.ts';
import { auditDropped, auditErrors, auditEventsWritten, auditSpoolBytes, auditSpoolFull } from '../audit-metrics.ts';
import { GENESIS_HASH, publicPem } from '../chain.ts';
import type { UnlinkedEvent } from '../ocsf-event.ts';
import { AppendQueue } from './append-queue.ts';
import { deleteAcknowledged, dropOldest } from './capacity.ts';
import { ChainHead, type CheckpointOptions, type EventRecord } from './chain-head.ts';
import { CursorStore } from './cursor-store.ts';
import { RecentEntries } from './recent-entries.ts';
import { acquireLock } from './spool-lock.ts';
import { SegmentWriter } from './segment-writer.ts';
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
  readonly checkpoint?: CheckpointOptions;
  readonly logger: Logger;
}

/**
 * The durable spool: events are appended (in a batch per event-loop turn, off the request path) to
 * segment files, each one hash-chained to the one before; sinks read from their own cursor and the
 * cursor moves only when the sink acknowledged. This class puts the parts together and runs the
 * writes one at a time: append-queue.ts (the batch of a turn), chain-head.ts (sequence, hash chain,
 * checkpoints), segment-writer.ts (files, rotation, fsync), recent-entries.ts (what sinks read from
 * memory), cursor-store.ts (sink cursors), capacity.ts (retention and the full policy).
 */
export class Spool implements SpoolView {
  readonly dir: string;
  readonly #o: SpoolOptions;
  #writer!: SegmentWriter;
  #cursors!: CursorStore;
  #head!: ChainHead;
  readonly #recent: RecentEntries;
  readonly #waiters = new Set<() => void>();
  readonly #queue = new AppendQueue(() => void this.#enqueue(() => this.#flush()));
  #chain: Promise<void> = Promise.resolve();
  #writeError: string | undefined;
  #closed = false;
  #timers: NodeJS.Timeout[] = [];
  #release: () => Promise<void> = async () => {};
  /** The last sequence number that was on disk when the spool opened (events up to it may be resent). */
  seqAtOpen = 0;
  /** The uid of the newest event on disk when the spool opened: where the audit journal resumes. */
  uidAtOpen: string | undefined;

  private constructor(o: SpoolOptions) {
    this.#o = o;
    this.dir = o.dir;
    this.#recent = new RecentEntries(o.replicaId);
  }

  static async open(o: SpoolOptions): Promise<Spool> {
    const spool = new Spool(o);
    await spool.#open();
    return spool;
  }

  async #open(): Promise<void> {
    const o = this.#o;
    this.#release = await acquireLock(o.dir);
    const { writer, lastEventLine } = await SegmentWriter.open({ dir: o.dir, segmentBytes: o.segmentBytes, fsyncAlways: o.fsync === 'always', logger: o.logger });
    this.#writer = writer;
    this.#cursors = new CursorStore(o.dir, o.logger, () => this.#enqueue(() => this.#deleteAcknowledged()));
    await this.#cursors.init();
    // For convenience; an auditor verifies with their own copy of the public key.
    if (o.checkpoint !== undefined) await writeFile(join(o.dir, 'checkpoint-public-key.pem'), publicPem(o.checkpoint.key));
    this.#head = new ChainHead(o.replicaId, o.checkpoint, lastEventLine);
    this.seqAtOpen = this.#head.seq;
    this.uidAtOpen = lastEventLine === undefined ? undefined : (JSON.parse(lastEventLine) as { metadata?: { uid?: string } }).metadata?.uid;
    if (o.fsync === 'batched')
      this.#every(o.fsyncIntervalMs, () =>
        this.#writer.sync().catch((err: unknown) => {
          auditErrors.inc({ where: 'spool' });
          o.logger.error({ err }, 'audit spool: fsync failed');
        }),
      );
    if (o.checkpoint !== undefined)
      this.#every(o.checkpoint.intervalMs, () => {
        if (this.#head.unsigned || this.#queue.length > 0) {
          this.#head.checkpointDue = true;
          this.#queue.schedule();
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
    return this.#head.seq;
  }

  /**
   * Queues an event. Never blocks, never throws; sequence and hash are assigned when written. The
   * promise resolves once the event is written to the segment file (and synced, with fsync
   * `always`): from then on a crash of this process cannot lose it. It rejects if the event will not
   * be written (the spool closed first). Every event queued in the same event-loop turn shares one
   * write and one promise.
   */
  append(event: UnlinkedEvent): Promise<void> {
    if (this.#closed) {
      auditDropped.inc({ reason: 'closed' });
      const refused = Promise.reject(new Error('audit spool is closed'));
      refused.catch(() => {});
      return refused;
    }
    return this.#queue.push(event);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(task).catch((err: unknown) => {
      auditErrors.inc({ where: 'spool' });
      this.#o.logger.error({ err }, 'audit spool error');
    });
    return this.#chain;
  }

  /** Chains, writes and commits what is queued (and a checkpoint when one is due). */
  async #flush(): Promise<void> {
    const { events: taken, waiters } = this.#queue.take();
    if (taken.length === 0 && !this.#head.checkpointDue) {
      for (const w of waiters) w.resolve(); // their events were written by an attempt that failed later
      return;
    }
    let events = taken;
    let records: EventRecord[];
    try {
      records = this.#head.link(events);
    } catch (err) {
      // An event whose line cannot be built (never seen: facts come from this version's own code)
      // is dropped alone, counted and logged; the others of its batch are written. Retrying it
      // would fail the same way for ever.
      events = taken.filter(buildsLine);
      if (events.length === taken.length) {
        // Every line builds: what failed is the batch's checkpoint (its signature). Retrying would not help.
        auditErrors.inc({ where: 'spool' });
        auditDropped.inc({ reason: 'unwritable' }, taken.length);
        this.#o.logger.error({ err, events: taken.length }, 'audit spool: could not sign a checkpoint; this batch is not written');
        for (const w of waiters) w.reject(err as Error);
        return;
      }
      auditErrors.inc({ where: 'spool' });
      auditDropped.inc({ reason: 'unwritable' }, taken.length - events.length);
      this.#o.logger.error({ err, events: taken.length - events.length }, 'audit spool: an event whose line cannot be built was dropped');
      try {
        records = this.#head.link(events);
      } catch (again) {
        for (const w of waiters) w.reject(again as Error);
        return;
      }
    }
    let written = 0;
    try {
      await this.#writer.write(records, (r, end) => {
        const rec = r as EventRecord;
        if (rec.header === undefined) return;
        written++;
        // Committed: sinks that keep up take it from memory, never from disk.
        this.#recent.add(rec.seq as number, rec.line, rec.header, end);
      });
    } catch (err) {
      // Nothing is lost: unwritten events go back in front of the queue with their sequence undone,
      // and whoever waits for them keeps waiting until a retry has written them.
      this.#head.settle(records, false, written);
      this.#queue.putBack(events.slice(written), waiters);
      this.#writeError = (err as NodeJS.ErrnoException).code ?? 'write failed';
      this.#o.logger.error({ err }, 'audit spool: write failed; new requests are refused until it recovers');
      setTimeout(() => this.#queue.schedule(), 1000).unref();
      this.#updateGauges();
      this.#notify();
      return;
    }
    this.#head.settle(records, true, written);
    this.#writeError = undefined;
    for (const w of waiters) w.resolve();
    auditEventsWritten.inc(events.length);
    if (this.#o.fullPolicy === 'drop_oldest') {
      const keptFrom = await dropOldest(this.#writer, this.#cursors, this.#o.maxBytes, this.#head.seq, this.#o.logger);
      if (keptFrom !== undefined) this.#recent.dropBefore(keptFrom);
    }
    this.#updateGauges();
    this.#notify();
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  // --- reading and acknowledging (SpoolView) ---------------------------------------------

  segmentList(): readonly number[] {
    return this.#writer.list();
  }

  committedBytes(segment: number): number | undefined {
    return this.#writer.committedBytes(segment);
  }

  read(cursor: Cursor, max: number): Promise<{ entries: SpoolEntry[]; next: Cursor }> {
    const fromMemory = this.#recent.read(cursor, max);
    return fromMemory !== undefined ? Promise.resolve(fromMemory) : readFrom(this, cursor, max);
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
  cursorFor(sink: string): Promise<Cursor> {
    return this.#cursors.load(sink, { segment: this.segmentList()[0] ?? 1, offset: 0, seq: 0 });
  }

  /** Records that a sink acknowledged everything up to `cursor` (stored lazily: see CursorStore). */
  ack(sink: string, cursor: Cursor): Promise<void> {
    const stored = this.#cursors.ack(sink, cursor);
    let everySink = cursor.seq;
    for (const c of this.#cursors.live()) everySink = Math.min(everySink, c.seq);
    this.#recent.release(everySink);
    return stored;
  }

  async #deleteAcknowledged(): Promise<void> {
    await deleteAcknowledged(this.#writer, this.#cursors, this.#o.retentionMs);
    this.#updateGauges();
  }

  totalBytes(): number {
    return this.#writer.totalBytes();
  }

  #updateGauges(): void {
    auditSpoolBytes.set(this.totalBytes());
    auditSpoolFull.set(this.isFull() ? 1 : 0);
  }

  isFull(): boolean {
    return this.totalBytes() >= this.#o.maxBytes;
  }

  /** Why an fsync failed (its error code), if one did: final until restart (see SegmentWriter.syncFailure). */
  #fsyncFailure(): string | undefined {
    const err = this.#writer.syncFailure;
    return err === undefined ? undefined : ((err as NodeJS.ErrnoException).code ?? err.message);
  }

  /** Before a new MCP request is admitted: refuse (fail closed) when events could not be kept. */
  admission(): WardenError | undefined {
    const fsync = this.#fsyncFailure();
    if (fsync !== undefined) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit spool fsync failed (${fsync}): restart mcp-warden` });
    if (this.#writeError !== undefined) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit spool write failing: ${this.#writeError}` });
    if (this.#o.fullPolicy === 'block' && this.isFull()) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit spool holds ${this.totalBytes()} bytes (max ${this.#o.maxBytes})` });
    return undefined;
  }

  readiness(): { ok: boolean; reason?: string } {
    const fsync = this.#fsyncFailure();
    if (fsync !== undefined) return { ok: false, reason: `audit spool fsync failed (${fsync})` };
    if (this.#writeError !== undefined) return { ok: false, reason: `audit spool write failing (${this.#writeError})` };
    if (this.#o.fullPolicy === 'block' && this.isFull()) return { ok: false, reason: 'audit spool full' };
    return { ok: true };
  }

  /** Writes what is queued (and a final checkpoint), syncs and releases the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearInterval(t);
    await this.#cursors.flush();
    if (this.#o.checkpoint !== undefined) this.#head.checkpointDue = true;
    await this.#enqueue(() => this.#flush());
    this.#closed = true;
    await this.#enqueue(() => this.#writer.close());
    const lost = this.#queue.failAll(new Error('audit spool closed before the event could be written'));
    if (lost > 0) {
      auditDropped.inc({ reason: 'closed' }, lost);
      this.#o.logger.error({ events: lost }, 'audit spool: closed while its writes were failing; these events were not written');
    }
    this.#notify();
    await this.#release();
  }

  /** Everything written so far is on stable storage (fsync), whatever the fsync policy. */
  async sync(): Promise<void> {
    await this.#chain; // the writes queued before this call
    await this.#writer.syncWritten();
  }

  /** Everything appended so far is written (for tests and benchmarks). */
  async drain(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    await this.#enqueue(() => this.#flush());
  }
}

/** Whether an event's line can be built (tried with a stand-in place in the chain). */
function buildsLine(event: UnlinkedEvent): boolean {
  try {
    event.line({ replica_id: 'check', seq: 1, prev_hash: GENESIS_HASH });
    return true;
  } catch {
    return false;
  }
}
