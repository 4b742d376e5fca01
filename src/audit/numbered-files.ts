import { readdirSync } from 'node:fs';

/**
 * Files named by a 12-digit index and an extension (`000000000001.log`): the spool's segments and
 * the audit journal. Zero-padded, so that a plain listing sorts them in order too.
 */
export function numberedFileName(index: number, ext: string): string {
  return `${String(index).padStart(12, '0')}${ext}`;
}

/** The indices of the numbered files with extension `ext` in `dir`, ascending; none if `dir` does not exist. */
export function listNumberedFiles(dir: string, ext: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.length === 12 + ext.length && n.endsWith(ext) && /^\d{12}/.test(n))
    .map((n) => Number(n.slice(0, 12)))
    .sort((a, b) => a - b);
}
