import { open } from 'node:fs/promises';
import { headerOf, type EventHeader, type OcsfEvent } from '../ocsf-event.ts';
import { linkOf } from '../chain.ts';
import { parseLine, segmentPath } from './segment-files.ts';

/** A position in the spool: just after the record ending at `offset` of `segment`; `seq` is the last event before it. */
export interface Cursor {
  readonly segment: number;
  readonly offset: number;
  readonly seq: number;
}

/** One spooled event as a sink reads it. */
export class SpoolEntry {
  readonly seq: number;
  /** The canonical JSON line as spooled (its SHA-256 is the chain hash). */
  readonly line: string;
  readonly header: EventHeader;
  /** The replica whose chain the event is in. */
  readonly replicaId: string;
  /** The cursor to store once this entry (and all before it) is acknowledged. */
  readonly after: Cursor;
  #event: OcsfEvent | undefined;

  constructor(seq: number, line: string, header: EventHeader, replicaId: string, after: Cursor, event?: OcsfEvent) {
    this.seq = seq;
    this.line = line;
    this.header = header;
    this.replicaId = replicaId;
    this.after = after;
    this.#event = event;
  }

  /** An entry from a line read back from disk and its parsed event (the header and replica come from it). */
  static fromDisk(line: string, event: OcsfEvent, after: Cursor): SpoolEntry {
    return new SpoolEntry(after.seq, line, headerOf(event), linkOf(event)?.replica_id ?? '-', after, event);
  }

  /** The whole event: parsed from the line when first asked for (only some renderers need more than the header). */
  get event(): OcsfEvent {
    return (this.#event ??= JSON.parse(this.line) as OcsfEvent);
  }
}

/** What the reader needs from the spool: which segments exist and how far each is committed. */
export interface SpoolView {
  readonly dir: string;
  segmentList(): readonly number[];
  /** Bytes of `segment` that are written (and, with fsync always, synced); undefined if gone. */
  committedBytes(segment: number): number | undefined;
}

const CHUNK = 1024 * 1024;

/**
 * Reads up to `max` events after `cursor`, skipping checkpoint lines. A cursor into a segment that
 * was deleted (drop_oldest) moves to the oldest remaining one. Only committed bytes are read, so a
 * sink never sees a record the spool has not finished writing.
 */
export async function readFrom(view: SpoolView, cursor: Cursor, max: number): Promise<{ entries: SpoolEntry[]; next: Cursor }> {
  const entries: SpoolEntry[] = [];
  let pos = cursor;
  for (let guard = 0; guard < 100_000 && entries.length < max; guard++) {
    const segments = view.segmentList();
    if (segments.length === 0) break;
    if (!segments.includes(pos.segment)) {
      const later = segments.find((s) => s > pos.segment);
      if (later === undefined) break;
      pos = { segment: later, offset: 0, seq: pos.seq };
    }
    const end = view.committedBytes(pos.segment) ?? 0;
    if (pos.offset > end) pos = { ...pos, offset: end }; // a torn tail was cut at recovery
    if (pos.offset >= end) {
      const next = segments.find((s) => s > pos.segment);
      if (next === undefined) break;
      pos = { segment: next, offset: 0, seq: pos.seq };
      continue;
    }
    const { records, consumed } = await readLines(view.dir, pos.segment, pos.offset, end, max - entries.length);
    let offset = pos.offset;
    let seq = pos.seq;
    for (const r of records) {
      offset += r.bytes;
      const p = parseLine(r.line);
      if (p.kind === 'event') {
        seq = p.seq as number;
        entries.push(SpoolEntry.fromDisk(r.line, p.value as OcsfEvent, { segment: pos.segment, offset, seq }));
      }
    }
    pos = { segment: pos.segment, offset: pos.offset + consumed, seq };
    if (consumed === 0) break;
  }
  return { entries, next: pos };
}

async function readLines(dir: string, segment: number, from: number, end: number, maxEvents: number): Promise<{ records: { line: string; bytes: number }[]; consumed: number }> {
  const fh = await open(segmentPath(dir, segment), 'r');
  try {
    let size = Math.min(CHUNK, end - from);
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, from);
      const data = buf.subarray(0, bytesRead);
      const records: { line: string; bytes: number }[] = [];
      let start = 0;
      let nl: number;
      while (records.length < maxEvents && (nl = data.indexOf(0x0a, start)) !== -1) {
        records.push({ line: data.subarray(start, nl).toString('utf8'), bytes: nl + 1 - start });
        start = nl + 1;
      }
      if (records.length > 0 || from + size >= end) return { records, consumed: start };
      size = Math.min(size * 2, end - from); // one record longer than the chunk
    }
  } finally {
    await fh.close();
  }
}
