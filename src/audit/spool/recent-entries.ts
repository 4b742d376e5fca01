import type { EventHeader } from '../ocsf-event.ts';
import type { RecordEnd } from './segment-writer.ts';
import { SpoolEntry, type Cursor } from './spool-reader.ts';

/** Committed entries kept in memory for sinks that lag (bounded); past it they read from disk. */
const RECENT_MAX = 8192;

/**
 * The last events written, as sinks read them: a sink that keeps up takes its next batch from here,
 * without a disk read or a parse. Sequence numbers in it are contiguous.
 *
 * An entry is let go as soon as every sink has acknowledged it (`release`), so that with sinks that
 * keep up it dies young: one kept for seconds survives the young generation's scavenges and is
 * copied each time, then promoted, GC work on the same cores as the proxy. Only a lagging sink
 * makes entries wait here, up to RECENT_MAX.
 */
export class RecentEntries {
  readonly #replicaId: string;
  #entries: SpoolEntry[] = [];
  /** Index of the oldest entry still kept: released entries before it are dropped in bulk. */
  #head = 0;
  /** The newest committed sequence number (kept when its entry was released). */
  #newestSeq: number | undefined;

  constructor(replicaId: string) {
    this.#replicaId = replicaId;
  }

  add(seq: number, line: string, header: EventHeader, end: RecordEnd): void {
    this.#entries.push(new SpoolEntry(seq, line, header, this.#replicaId, { segment: end.segment, offset: end.offset, seq }));
    this.#newestSeq = seq;
    if (this.#entries.length - this.#head > RECENT_MAX) this.#head = this.#entries.length - RECENT_MAX / 2;
    this.#compact();
  }

  /** Every sink has acknowledged the entries up to `seq`: none of them will be read from here again. */
  release(seq: number): void {
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as SpoolEntry).seq <= seq) this.#head++;
    this.#compact();
  }

  /** Forgets entries before `seq` (their segment was dropped: counted as lost, not delivered either). */
  dropBefore(seq: number): void {
    this.#entries = this.#entries.slice(this.#head).filter((e) => e.seq >= seq);
    this.#head = 0;
  }

  /** Up to `max` entries after `cursor`, or undefined when they are not (all) in memory. */
  read(cursor: Cursor, max: number): { entries: SpoolEntry[]; next: Cursor } | undefined {
    // Caught up: nothing newer is committed, on disk either (a sink polling at the end reads no file).
    if (this.#newestSeq !== undefined && cursor.seq >= this.#newestSeq) return { entries: [], next: cursor };
    const first = this.#entries[this.#head];
    if (first === undefined || cursor.seq < first.seq - 1) return undefined;
    const from = this.#head + cursor.seq - first.seq + 1;
    const entries = this.#entries.slice(from, from + max);
    const last = entries[entries.length - 1];
    return last === undefined ? undefined : { entries, next: last.after };
  }

  /** Drops the released entries from the array once they are half of it (amortised O(1) per entry). */
  #compact(): void {
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
