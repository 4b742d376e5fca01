import { gunzipSync } from 'node:zlib';

/**
 * Reads the regular files of a gzip'd tar archive (ustar, GNU long names, pax headers) into memory,
 * which is all an OPA bundle needs. Sizes are bounded before and after decompression: a bundle is
 * untrusted input until its signature has been checked.
 */
export function readTarGz(bytes: Buffer, maxBytes: number): Map<string, Buffer> {
  if (bytes.length > maxBytes) throw new Error(`bundle is larger than ${maxBytes} bytes`);
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new Error(`bundle is not a gzip archive or expands beyond ${maxBytes} bytes: ${(err as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new Error(`bundle archive is corrupt (bad header checksum at byte ${offset})`);
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    const end = start + size;
    if (end > tar.length) throw new Error('bundle archive is truncated');
    const body = tar.subarray(start, end);
    offset = start + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cString(body);
      continue;
    }
    if (type === 'x') {
      paxPath = paxValue(body, 'path');
      continue;
    }
    if (type === 'g') continue;
    const prefix = cString(header.subarray(345, 500));
    const name = paxPath ?? longName ?? (prefix === '' ? '' : `${prefix}/`) + cString(header.subarray(0, 100));
    longName = undefined;
    paxPath = undefined;
    if (type !== '0' && type !== '\0') continue; // directories, links: not part of a bundle's content
    const normalised = normaliseName(name);
    if (files.has(normalised)) throw new Error(`bundle archive holds ${normalised} twice`);
    files.set(normalised, Buffer.from(body));
  }
  return files;
}

/** `/data.json`, `./data.json` and `data.json` are the same file; `..` is refused. */
export function normaliseName(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`bundle archive path escapes the bundle: ${name}`);
  return parts.join('/');
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul === -1 ? buf.length : nul).toString('utf8');
}

function parseOctal(buf: Buffer): number {
  const text = cString(buf).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error('bundle archive is corrupt (bad size field)');
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum === stored;
}

function paxValue(body: Buffer, key: string): string | undefined {
  let text = body.toString('utf8');
  while (text.length > 0) {
    const space = text.indexOf(' ');
    const length = parseInt(text.slice(0, space), 10);
    if (!Number.isFinite(length) || length <= 0) return undefined;
    const record = text.slice(space + 1, length - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === key) return record.slice(eq + 1);
    text = text.slice(length);
  }
  return undefined;
}
