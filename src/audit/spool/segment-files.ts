import { open, readFile, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpointLine, linkOf } from '../chain.ts';
import { listNumberedFiles, numberedFileName } from '../numbered-files.ts';

/** Segment files are `segments/<12-digit index>.log`: one canonical JSON record per line. */
export const SEGMENT_DIR = 'segments';
export const CURSOR_DIR = 'cursors';

export function segmentName(index: number): string {
  return numberedFileName(index, '.log');
}

export function segmentPath(dir: string, index: number): string {
  return join(dir, SEGMENT_DIR, segmentName(index));
}

export function listSegments(dir: string): number[] {
  return listNumberedFiles(join(dir, SEGMENT_DIR), '.log');
}

export interface ParsedLine {
  readonly kind: 'event' | 'checkpoint' | 'invalid';
  readonly seq?: number;
  readonly value?: unknown;
}

export function parseLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid' };
  }
  if (isCheckpointLine(value)) return { kind: 'checkpoint', value };
  const link = linkOf(value);
  return link === undefined ? { kind: 'invalid', value } : { kind: 'event', seq: link.seq, value };
}

/** First event sequence number in a segment (reads its beginning only). */
export async function firstSeqOf(file: string): Promise<number | undefined> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    for (const line of text.split('\n').slice(0, -1)) {
      const p = parseLine(line);
      if (p.kind === 'event') return p.seq;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * After a crash the last segment may end in a partial line. Cuts it off and returns the last
 * complete event line (for the sequence and the chain head) if the segment has one.
 */
export async function recoverTail(file: string): Promise<{ size: number; truncated: number; lastEventLine: string | undefined; events: number }> {
  const data = await readFile(file);
  const lastNl = data.lastIndexOf(0x0a);
  const goodSize = lastNl + 1;
  let truncated = 0;
  if (goodSize < data.length) {
    truncated = data.length - goodSize;
    const fh = await open(file, 'r+');
    try {
      await fh.truncate(goodSize);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  const lines = data.subarray(0, goodSize).toString('utf8').split('\n');
  lines.pop();
  let events = 0;
  let lastEventLine: string | undefined;
  for (const line of lines) {
    if (parseLine(line).kind === 'event') {
      events++;
      lastEventLine = line;
    }
  }
  return { size: goodSize, truncated, lastEventLine, events };
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Writes via a temporary file and rename, so a reader never sees half a file. */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
