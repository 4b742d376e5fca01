import type { Logger } from 'pino';
import { auditDropped } from '../audit-metrics.ts';
import type { CursorStore } from './cursor-store.ts';
import type { SegmentWriter } from './segment-writer.ts';

/**
 * Bounded disk. Normal retention: a segment goes once every stored cursor is past it and it is older
 * than `retentionMs`; the segment being written never goes.
 */
export async function deleteAcknowledged(writer: SegmentWriter, cursors: CursorStore, retentionMs: number): Promise<void> {
  const minSegment = cursors.size === 0 ? writer.current : cursors.minPersistedSegment();
  for (const s of writer.list()) {
    if (s >= minSegment || s === writer.current) break;
    if (retentionMs > 0) {
      const mtime = await writer.mtimeMs(s);
      if (mtime !== undefined && Date.now() - mtime < retentionMs) break;
    }
    await writer.remove(s);
  }
}

/**
 * The `drop_oldest` policy: while the spool holds `maxBytes` or more, the oldest segment is deleted
 * whether or not every sink has it (never the one holding the newest event); the events some sink had not acknowledged are counted and
 * alerted. Returns the first sequence number still in the spool when something was deleted.
 */
export async function dropOldest(writer: SegmentWriter, cursors: CursorStore, maxBytes: number, lastSeq: number, logger: Logger): Promise<number | undefined> {
  let keptFrom: number | undefined;
  while (writer.totalBytes() >= maxBytes) {
    const [oldest, next] = writer.list();
    if (oldest === undefined || next === undefined || oldest === writer.current) break;
    // The segment holding the newest event (the chain head) stays, even over max_bytes: a restart
    // resumes the chain, and the audit journal, from that event.
    if (writer.firstSeq(next) === undefined) break;
    const first = writer.firstSeq(oldest);
    const last = writer.firstSeq(next) ?? lastSeq + 1;
    let lost = 0;
    if (first !== undefined) for (const c of cursors.live()) lost = Math.max(lost, last - 1 - Math.max(c.seq, first - 1));
    await writer.remove(oldest);
    keptFrom = last;
    if (lost > 0) {
      auditDropped.inc({ reason: 'drop_oldest' }, lost);
      logger.error({ segment: oldest, events_lost: lost }, 'ALERT audit spool full: dropped the oldest segment before every sink acknowledged it');
    }
  }
  return keptFrom;
}
