import { join } from 'node:path';
import { listNumberedFiles, numberedFileName } from '../numbered-files.ts';

/**
 * Journal files are `<spool dir>/journal/<12-digit index>.jsonl`, one event's facts per line as
 * `[uid, facts, loggedAtMs]`. The writer only ever appends to the newest; the reader deletes a file
 * once every event in it is in the spool (and synced).
 */
export const JOURNAL_DIR = 'journal';

export function journalPath(spoolDir: string, index: number): string {
  return join(spoolDir, JOURNAL_DIR, numberedFileName(index, '.jsonl'));
}

export function listJournalFiles(spoolDir: string): number[] {
  return listNumberedFiles(join(spoolDir, JOURNAL_DIR), '.jsonl');
}
