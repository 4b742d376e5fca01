import type { Logger } from 'pino';
import { auditEventsAcked, auditOldestUnackedSeconds, auditResent, auditRetries } from './audit-metrics.ts';
import { retryDelayMs } from './backoff.ts';
import type { Sink } from './sinks/sink.ts';
import { SinkError } from './sinks/sink.ts';
import type { Spool } from './spool/spool.ts';
import type { Cursor } from './spool/spool-reader.ts';

export interface ShipperOptions {
  readonly batchSize: number;
  /** After a short read, wait this long for more events so that batches are not one event each. */
  readonly lingerMs?: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly logger: Logger;
}

/**
 * Moves events from the spool to one sink: read a batch after the sink's cursor, send it, and
 * store the cursor only after the sink acknowledged. A failure is retried (same batch, so the sink
 * may see duplicates, never a gap) after an exponential, jittered, capped delay. Runs on its own
 * async loop: the proxy never waits for it.
 */
export class Shipper {
  readonly #spool: Spool;
  readonly #sink: Sink;
  readonly #o: ShipperOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #acked: Cursor = { segment: 0, offset: 0, seq: 0 };
  /** Highest seq ever handed to the sink in this process (to count resends). */
  #maxSent = 0;
  consecutiveFailures = 0;
  lastError: string | undefined;

  constructor(spool: Spool, sink: Sink, o: ShipperOptions) {
    this.#spool = spool;
    this.#sink = sink;
    this.#o = o;
  }

  get acked(): Cursor {
    return this.#acked;
  }

  async start(): Promise<void> {
    this.#acked = await this.#spool.cursorFor(this.#sink.name);
    this.#maxSent = this.#acked.seq;
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const name = this.#sink.name;
    let cursor = this.#acked;
    let attempt = 0;
    while (this.#running) {
      let entries;
      try {
        ({ entries } = await this.#spool.read(cursor, this.#o.batchSize));
        if (entries.length > 0 && entries.length < this.#o.batchSize && (this.#o.lingerMs ?? 0) > 0 && attempt === 0) {
          await this.#sleep(this.#o.lingerMs as number);
          ({ entries } = await this.#spool.read(cursor, this.#o.batchSize));
        }
      } catch (err) {
        this.#o.logger.error({ err, sink: name }, 'audit: cannot read the spool');
        await this.#sleep(1000);
        continue;
      }
      if (entries.length === 0) {
        auditOldestUnackedSeconds.set({ sink: name }, 0);
        await this.#spool.waitForData(1000);
        continue;
      }
      const oldest = entries[0]?.header.loggedTime;
      if (oldest !== undefined) auditOldestUnackedSeconds.set({ sink: name }, Math.max(0, (Date.now() - oldest) / 1000));
      const resent = entries.filter((e) => e.seq <= this.#maxSent || e.seq <= this.#spool.seqAtOpen).length;
      try {
        await this.#sink.send(entries);
      } catch (err) {
        const e = err instanceof SinkError ? err : new SinkError(String((err as Error).message ?? err), 'error');
        auditRetries.inc({ sink: name, reason: e.reason });
        this.consecutiveFailures++;
        this.lastError = e.message;
        const delay = retryDelayMs(attempt++, this.#o.retry.initialMs, this.#o.retry.maxMs, e.retryAfterMs);
        if (attempt === 1 || attempt % 10 === 0) this.#o.logger.warn({ sink: name, reason: e.reason, err: e.message, retry_in_ms: delay, attempt }, 'audit sink delivery failed; will retry');
        this.#maxSent = Math.max(this.#maxSent, (entries[entries.length - 1] as { seq: number }).seq);
        await this.#sleep(delay);
        continue;
      }
      if (resent > 0) auditResent.inc({ sink: name }, resent);
      attempt = 0;
      this.consecutiveFailures = 0;
      this.lastError = undefined;
      const last = entries[entries.length - 1] as { seq: number; after: Cursor };
      this.#maxSent = Math.max(this.#maxSent, last.seq);
      cursor = last.after;
      this.#acked = cursor;
      auditEventsAcked.inc({ sink: name }, entries.length);
      try {
        await this.#spool.ack(name, cursor);
      } catch (err) {
        this.#o.logger.error({ err, sink: name }, 'audit: cannot store the sink cursor (events may be resent after a restart)');
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** Waits until the sink acknowledged `seq` (or `timeoutMs`); true if it did. */
  async waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#acked.seq < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.#acked.seq >= seq;
  }

  /** Stops after the batch in flight; waits for it at most `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    this.#running = false;
    this.#wake?.();
    if (this.#loop !== undefined) await Promise.race([this.#loop, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.#sink.close().catch(() => {});
  }
}
