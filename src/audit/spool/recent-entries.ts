import type { EventHeader } from '../ocsf-event.ts';
import type { RecordEnd } from './segment-writer.ts';
import { SpoolEntry, type Cursor } from './spool-reader.ts';

/** Committed entries kept in memory for sinks that keep up (bounded). */
const RECENT_MAX = 8192;

/**
 * The last events written, as sinks read them: a sink that keeps up takes its next batch from here,
 * without a disk read or a parse. Sequence numbers in it are contiguous.
 */
export class RecentEntries {
  readonly #replicaId: string;
  #entries: SpoolEntry[] = [];

  constructor(replicaId: string) {
    this.#replicaId = replicaId;
  }

  add(seq: number, line: string, header: EventHeader, end: RecordEnd): void {
    this.#entries.push(new SpoolEntry(seq, line, header, this.#replicaId, { segment: end.segment, offset: end.offset, seq }));
    if (this.#entries.length > RECENT_MAX) this.#entries.splice(0, this.#entries.length - RECENT_MAX / 2);
  }

  /** Forgets entries before `seq` (their segment was dropped: counted as lost, not delivered either). */
  dropBefore(seq: number): void {
    this.#entries = this.#entries.filter((e) => e.seq >= seq);
  }

  /** Up to `max` entries after `cursor`, or undefined when they are not (all) in memory. */
  read(cursor: Cursor, max: number): { entries: SpoolEntry[]; next: Cursor } | undefined {
    const first = this.#entries[0];
    if (first === undefined || cursor.seq < first.seq - 1) return undefined;
    // Caught up: nothing newer is committed, on disk either (a sink polling at the end reads no file).
    if (cursor.seq >= (this.#entries[this.#entries.length - 1] as SpoolEntry).seq) return { entries: [], next: cursor };
    const from = cursor.seq - first.seq + 1;
    const entries = this.#entries.slice(from, from + max);
    const last = entries[entries.length - 1];
    return last === undefined ? undefined : { entries, next: last.after };
  }
}
