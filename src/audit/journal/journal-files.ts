import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Journal files are `<spool dir>/journal/<12-digit index>.jsonl`, one event's facts per line as
 * `[uid, facts, loggedAtMs]`. The writer only ever appends to the newest; the reader deletes a file
 * once every event in it is in the spool (and synced).
 */
export const JOURNAL_DIR = 'journal';

export function journalPath(spoolDir: string, index: number): string {
  return join(spoolDir, JOURNAL_DIR, `${String(index).padStart(12, '0')}.jsonl`);
}

export function listJournalFiles(spoolDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(join(spoolDir, JOURNAL_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => /^\d{12}\.jsonl$/.test(n))
    .map((n) => Number(n.slice(0, 12)))
    .sort((a, b) => a - b);
}
