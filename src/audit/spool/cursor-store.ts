import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CURSOR_DIR, writeAtomic } from './segment-files.ts';
import type { Cursor } from './spool-reader.ts';

/** The cursor file is written at most this often per sink (and at close). */
const CURSOR_PERSIST_MS = 250;

/**
 * Each sink's position in the spool: `<dir>/cursors/<sink>.json`. A cursor moves only when its sink
 * acknowledged. The file is written at most every CURSOR_PERSIST_MS: a cursor on disk that lags
 * only means duplicates after a crash, never a loss, and it saves a file write per batch.
 * Retention follows the cursors on disk (`persisted`), not the ones in memory.
 */
export class CursorStore {
  readonly #dir: string;
  readonly #logger: Logger;
  /** Called after a cursor file was written (the spool then deletes what every sink is past). */
  readonly #onPersisted: () => Promise<void>;
  readonly #live = new Map<string, Cursor>();
  readonly #persisted = new Map<string, Cursor>();
  readonly #persistedAt = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(dir: string, logger: Logger, onPersisted: () => Promise<void>) {
    this.#dir = join(dir, CURSOR_DIR);
    this.#logger = logger;
    this.#onPersisted = onPersisted;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  get size(): number {
    return this.#live.size;
  }

  /** The cursors as acknowledged (in memory). */
  live(): Iterable<Cursor> {
    return this.#live.values();
  }

  /** The lowest segment a stored cursor is in: segments below it may go. */
  minPersistedSegment(): number {
    return Math.min(...[...this.#live.keys()].map((k) => this.#persisted.get(k)?.segment ?? 0));
  }

  /** The sink's stored cursor, or `fresh` for a sink never seen before. */
  async load(sink: string, fresh: Cursor): Promise<Cursor> {
    let cursor: Cursor;
    try {
      cursor = JSON.parse(await readFile(join(this.#dir, `${sink}.json`), 'utf8')) as Cursor;
    } catch {
      cursor = fresh;
    }
    this.#live.set(sink, cursor);
    this.#persisted.set(sink, cursor);
    return cursor;
  }

  async ack(sink: string, cursor: Cursor): Promise<void> {
    this.#live.set(sink, cursor);
    if (Date.now() - (this.#persistedAt.get(sink) ?? 0) >= CURSOR_PERSIST_MS) await this.#persist(sink);
    else if (!this.#timers.has(sink)) {
      const t = setTimeout(() => {
        this.#timers.delete(sink);
        this.#persist(sink).catch((err: unknown) => this.#logger.error({ err, sink }, 'audit: cannot store a sink cursor'));
      }, CURSOR_PERSIST_MS);
      t.unref();
      this.#timers.set(sink, t);
    }
  }

  async #persist(sink: string): Promise<void> {
    const cursor = this.#live.get(sink);
    if (cursor === undefined) return;
    this.#persistedAt.set(sink, Date.now());
    await writeAtomic(join(this.#dir, `${sink}.json`), JSON.stringify(cursor));
    this.#persisted.set(sink, cursor);
    await this.#onPersisted();
  }

  /** Stores every cursor now (at close). */
  async flush(): Promise<void> {
    for (const [sink, t] of this.#timers) {
      clearTimeout(t);
      this.#timers.delete(sink);
    }
    for (const sink of this.#live.keys()) await this.#persist(sink);
  }
}
