import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import { GENESIS_HASH, eventHash, linkOf, signCheckpoint } from '../chain.ts';
import type { EventHeader, UnlinkedEvent } from '../ocsf-event.ts';
import type { SegmentRecord } from './segment-writer.ts';

export interface EventRecord extends SegmentRecord {
  /** Undefined for a checkpoint line. */
  readonly header: EventHeader | undefined;
  /** The hash of the event before this one (what its line holds as `prev_hash`). */
  readonly prevHash: string;
}

export interface CheckpointOptions {
  readonly key: KeyObject;
  readonly keyId: string;
  readonly everyEvents: number;
  readonly intervalMs: number;
}

/**
 * The head of the hash chain: the next sequence number, the previous event's hash, and when the
 * next signed checkpoint is due. `link` turns events into spool lines (sequence and `prev_hash`
 * filled in); `settle` takes back what a failed write did not store.
 */
export class ChainHead {
  readonly #replicaId: string;
  readonly #checkpoint: CheckpointOptions | undefined;
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #lastCheckpointSeq = 0;
  /** Set by the checkpoint interval: the next batch carries a checkpoint even if few events came. */
  checkpointDue = false;

  constructor(replicaId: string, checkpoint: CheckpointOptions | undefined, lastEventLine: string | undefined) {
    this.#replicaId = replicaId;
    this.#checkpoint = checkpoint;
    if (lastEventLine !== undefined) {
      this.#seq = linkOf(JSON.parse(lastEventLine))?.seq ?? 0;
      this.#prevHash = eventHash(lastEventLine);
    }
    this.#lastCheckpointSeq = this.#seq;
  }

  get seq(): number {
    return this.#seq;
  }

  /** Events since the last checkpoint? */
  get unsigned(): boolean {
    return this.#seq > this.#lastCheckpointSeq;
  }

  /** The lines for `events`, followed by a signed checkpoint line when one is due. */
  link(events: readonly UnlinkedEvent[]): EventRecord[] {
    const records: EventRecord[] = [];
    // The head moves only once every line is written: a line that throws leaves it where it was.
    let seq = this.#seq;
    let prevHash = this.#prevHash;
    for (const ev of events) {
      seq++;
      const line = ev.line({ replica_id: this.#replicaId, seq, prev_hash: prevHash });
      records.push({ line, header: ev.header, seq, prevHash });
      prevHash = eventHash(line);
    }
    const cp = this.#checkpoint;
    const unsigned = seq > this.#lastCheckpointSeq;
    if (cp !== undefined && unsigned && (this.checkpointDue || seq - this.#lastCheckpointSeq >= cp.everyEvents)) {
      const checkpoint = { replica_id: this.#replicaId, seq, hash: prevHash, time: new Date().toISOString(), key_id: cp.keyId };
      records.push({ line: canonicalJson(signCheckpoint(checkpoint, cp.key)), header: undefined, seq: undefined, prevHash });
    }
    // Only now, with every line (and the signature) made.
    this.#seq = seq;
    this.#prevHash = prevHash;
    return records;
  }

  /** After the write of `records` (from `link`): `ok`, or only the first `written` events were stored. */
  settle(records: readonly EventRecord[], ok: boolean, written: number): void {
    const linked = records.filter((r) => r.header !== undefined);
    if (!ok) {
      const firstUnwritten = linked[written];
      if (firstUnwritten === undefined) return;
      // Back to the state after the last stored event: the others get their sequence again on retry.
      this.#seq = (firstUnwritten.seq as number) - 1;
      this.#prevHash = firstUnwritten.prevHash;
      return;
    }
    if (records.length > linked.length) {
      this.#lastCheckpointSeq = this.#seq;
      this.checkpointDue = false;
    }
  }
}
