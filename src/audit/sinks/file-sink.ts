import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditFormat } from '../render/render.ts';
import { renderer } from '../render/render.ts';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { SinkError, type Sink } from './sink.ts';

/**
 * JSON lines (or CEF lines) in a local file, rotated by size: `audit.jsonl` → `audit.jsonl.1` → …
 * up to `maxFiles`. A batch is acknowledged once written and fsynced.
 */
export class FileSink implements Sink {
  readonly type = 'file';
  readonly name: string;
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  readonly #render: (e: SpoolEntry) => string;
  #fh: FileHandle | undefined;
  #size = 0;

  constructor(o: { name: string; path: string; maxBytes: number; maxFiles: number; format: AuditFormat }) {
    this.name = o.name;
    this.#path = o.path;
    this.#maxBytes = o.maxBytes;
    this.#maxFiles = o.maxFiles;
    this.#render = renderer(o.format);
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    try {
      if (this.#fh === undefined) {
        await mkdir(dirname(this.#path), { recursive: true });
        this.#fh = await open(this.#path, 'a');
        this.#size = (await stat(this.#path)).size;
      }
      const buf = Buffer.from(batch.map((e) => `${this.#render(e)}\n`).join(''));
      await this.#fh.write(buf);
      await this.#fh.sync();
      this.#size += buf.length;
      if (this.#size >= this.#maxBytes) await this.#rotate();
    } catch (err) {
      await this.close();
      throw new SinkError(`file sink ${this.#path}: ${(err as Error).message}`, 'io');
    }
  }

  async #rotate(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
    await unlink(`${this.#path}.${this.#maxFiles}`).catch(() => {});
    for (let i = this.#maxFiles - 1; i >= 1; i--) await rename(`${this.#path}.${i}`, `${this.#path}.${i + 1}`).catch(() => {});
    await rename(this.#path, `${this.#path}.1`);
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => {});
  }
}
