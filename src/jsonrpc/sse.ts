import { Buffer, isUtf8 } from 'node:buffer';
import { WardenError } from '../errors/warden-error.ts';

/**
 * An incremental parser for `text/event-stream` (WHATWG HTML, "Server-sent events", §9.2.6
 * "Interpreting an event stream"), fed with the upstream's chunks as they arrive.
 *
 * Choices a proxy needs that a browser does not:
 * - An event is reported when its block had a `data`, `id` or `retry` field. A browser dispatches
 *   only blocks with data, but it still records `id`/`retry`; a proxy has to pass those on (an
 *   MCP "priming" event carries an id and empty data so the client can resume), so callers get
 *   them as an event with `data: ''`. A block with only `event:` or comments is dropped.
 * - `id` is the id field of this block only (undefined when the block had none), so a relay that
 *   re-emits what it got reproduces the upstream's stream; a browser's "last event ID" is the
 *   most recent id seen, which the client derives the same way from the relayed stream.
 * - Invalid UTF-8 is refused (WARDEN_ERR_JSONRPC_INVALID_UTF8) instead of being replaced by
 *   U+FFFD: the proxy never inspects one thing and forwards another.
 * - An event (all its field lines) or a single line larger than `maxEventBytes` is refused with
 *   WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE: it cannot be inspected, so it is never passed through.
 *   Comment lines count against the line limit only, so keep-alives never add up.
 * - At end of stream an unterminated event is discarded, as the standard says.
 *
 * Lines are split on bytes (CR, LF, CRLF; a CRLF split across two chunks is one line end) before
 * decoding, so a multi-byte character split across chunks is decoded whole. After a throw the
 * parser is unusable: the stream must be closed.
 */
export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = [0xef, 0xbb, 0xbf] as const;

export class SseParser {
  readonly #maxEventBytes: number;
  /** Bytes of the current, not yet terminated line (chunks kept as they came, concatenated once). */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** The previous chunk ended with CR: an LF at the start of the next one belongs to it. */
  #skipLf = false;
  /** Bytes held at stream start until we know whether they begin with a BOM. */
  #head: Buffer | undefined = Buffer.alloc(0);
  // The event being built.
  #data: string[] = [];
  #hasData = false;
  #eventType: string | undefined;
  #id: string | undefined;
  #retry: number | undefined;
  #eventBytes = 0;

  constructor(options: { maxEventBytes: number }) {
    this.#maxEventBytes = options.maxEventBytes;
  }

  push(chunk: Uint8Array): SseEvent[] {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#head !== undefined) {
      const head = this.#head.length === 0 ? buf : Buffer.concat([this.#head, buf]);
      const prefix = Math.min(head.length, BOM.length);
      let matches = true;
      for (let k = 0; k < prefix; k++) if (head[k] !== BOM[k]) matches = false;
      if (matches && head.length < BOM.length) {
        this.#head = head; // could still be a BOM: wait for more bytes
        return [];
      }
      this.#head = undefined;
      buf = matches ? head.subarray(BOM.length) : head;
    }
    const events: SseEvent[] = [];
    let pos = 0;
    if (this.#skipLf && buf.length > 0) {
      if (buf[0] === LF) pos = 1;
      this.#skipLf = false;
    }
    const n = buf.length;
    let nextLf = -2;
    let nextCr = -2;
    while (pos < n) {
      if (nextLf !== -1 && nextLf < pos) nextLf = buf.indexOf(LF, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf(CR, pos);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1) {
        this.#keepPartial(buf.subarray(pos));
        break;
      }
      const piece = buf.subarray(pos, end);
      const line = this.#partialBytes === 0 ? piece : this.#takePartial(piece);
      if (line.length > this.#maxEventBytes) this.#tooLarge();
      this.#line(line, events);
      pos = end + 1;
      if (buf[end] === CR) {
        if (pos < n) {
          if (buf[pos] === LF) pos++;
        } else {
          this.#skipLf = true;
        }
      }
    }
    return events;
  }

  /** End of stream: an event without its closing blank line is discarded (WHATWG). */
  end(): SseEvent[] {
    this.#partial = [];
    this.#partialBytes = 0;
    this.#reset();
    return [];
  }

  #keepPartial(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#partialBytes += bytes.length;
    if (this.#partialBytes > this.#maxEventBytes) this.#tooLarge();
    // Copy: the caller may reuse its chunk's memory once push returns.
    this.#partial.push(Buffer.from(bytes));
  }

  #takePartial(last: Buffer): Buffer {
    this.#partial.push(last);
    const line = Buffer.concat(this.#partial, this.#partialBytes + last.length);
    this.#partial = [];
    this.#partialBytes = 0;
    return line;
  }

  #tooLarge(): never {
    throw new WardenError('WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE', { detail: `SSE event larger than ${this.#maxEventBytes} bytes` });
  }

  #line(line: Buffer, events: SseEvent[]): void {
    if (line.length === 0) {
      this.#dispatch(events);
      return;
    }
    if (line[0] === COLON) return; // comment
    this.#eventBytes += line.length + 1;
    if (this.#eventBytes > this.#maxEventBytes) this.#tooLarge();
    if (!isUtf8(line)) throw new WardenError('WARDEN_ERR_JSONRPC_INVALID_UTF8', { detail: 'SSE line is not well-formed UTF-8' });
    const colon = line.indexOf(COLON);
    const name = colon === -1 ? line.toString('latin1') : line.toString('latin1', 0, colon);
    let valueStart = colon === -1 ? line.length : colon + 1;
    if (line[valueStart] === SPACE) valueStart++;
    switch (name) {
      case 'data':
        this.#data.push(line.toString('utf8', valueStart));
        this.#hasData = true;
        break;
      case 'event':
        this.#eventType = line.toString('utf8', valueStart);
        break;
      case 'id': {
        const value = line.toString('utf8', valueStart);
        if (!value.includes('\0')) this.#id = value; // WHATWG: an id with NUL is ignored
        break;
      }
      case 'retry': {
        const value = line.toString('latin1', valueStart);
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value);
        break;
      }
      default:
        break; // unknown fields are ignored
    }
  }

  #dispatch(events: SseEvent[]): void {
    if (this.#hasData || this.#id !== undefined || this.#retry !== undefined) {
      events.push({ event: this.#eventType, data: this.#data.join('\n'), id: this.#id, retry: this.#retry });
    }
    this.#reset();
  }

  #reset(): void {
    this.#data = [];
    this.#hasData = false;
    this.#eventType = undefined;
    this.#id = undefined;
    this.#retry = undefined;
    this.#eventBytes = 0;
  }
}

/**
 * One event in wire form, ending with its blank line. Multi-line data becomes several `data:`
 * lines (split on CRLF, CR or LF, which is how a parser joins them back with LF); empty data is
 * one empty `data:` line, the shape of an MCP priming event. Every value gets one space after the
 * colon so that a value starting with a space survives. CR, LF or NUL in `event`/`id` (which
 * would inject fields or be ignored by the client) and a `retry` that is not a non-negative
 * integer are refused.
 */
export function serialiseSseEvent(e: { event?: string | undefined; id?: string | undefined; data: string; retry?: number | undefined }): string {
  let out = '';
  if (e.event !== undefined) {
    if (/[\r\n]/.test(e.event)) throw badField('event');
    out += `event: ${e.event}\n`;
  }
  if (e.id !== undefined) {
    if (/[\r\n\0]/.test(e.id)) throw badField('id');
    out += `id: ${e.id}\n`;
  }
  if (e.retry !== undefined) {
    if (!Number.isSafeInteger(e.retry) || e.retry < 0) throw badField('retry');
    out += `retry: ${e.retry}\n`;
  }
  const data = e.data;
  if (data.includes('\n') || data.includes('\r')) {
    for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  } else {
    out += `data: ${data}\n`;
  }
  return `${out}\n`;
}

function badField(field: string): WardenError {
  return new WardenError('WARDEN_ERR_INTERNAL_ERROR', { detail: `refusing to serialise an SSE ${field} field with CR, LF or NUL` });
}
