import type { AuditFormat } from '../render/render.ts';
import { renderer } from '../render/render.ts';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import type { Sink } from './sink.ts';

/** One line per event on standard output (container log collectors pick it up). Acknowledged when flushed to the fd. */
export class StdoutSink implements Sink {
  readonly type = 'stdout';
  readonly name: string;
  readonly #render: (e: SpoolEntry) => string;
  readonly #out: NodeJS.WritableStream;

  constructor(o: { name: string; format: AuditFormat; out?: NodeJS.WritableStream }) {
    this.name = o.name;
    this.#render = renderer(o.format);
    this.#out = o.out ?? process.stdout;
  }

  send(batch: readonly SpoolEntry[]): Promise<void> {
    const text = batch.map((e) => `${this.#render(e)}\n`).join('');
    return new Promise((resolve, reject) => {
      this.#out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {}
}
