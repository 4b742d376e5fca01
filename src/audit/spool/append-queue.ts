import type { UnlinkedEvent } from '../ocsf-event.ts';

/** What the spool takes from the queue for one write, and whom to tell when it is written. */
export interface Batch {
  readonly events: UnlinkedEvent[];
  readonly waiters: (() => void)[];
}

/**
 * Events appended and not yet written, gathered per event-loop turn: `push` schedules one flush
 * (setImmediate) for everything pushed in the turn, and hands back one promise for the batch — one
 * write and one promise for many events, not one each.
 */
export class AppendQueue {
  readonly #flush: () => void;
  #events: UnlinkedEvent[] = [];
  #waiters: (() => void)[] = [];
  #written: Promise<void> | undefined;
  #scheduled = false;

  constructor(flush: () => void) {
    this.#flush = flush;
  }

  get length(): number {
    return this.#events.length;
  }

  /** Resolves once the batch holding `event` is written. */
  push(event: UnlinkedEvent): Promise<void> {
    this.#events.push(event);
    this.schedule();
    return (this.#written ??= new Promise<void>((resolve) => this.#waiters.push(resolve)));
  }

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  take(): Batch {
    const batch = { events: this.#events, waiters: this.#waiters };
    this.#events = [];
    this.#waiters = [];
    this.#written = undefined;
    return batch;
  }

  /** A write failed: its unwritten events go back in front, and its waiters keep waiting for the retry. */
  putBack(events: readonly UnlinkedEvent[], waiters: readonly (() => void)[]): void {
    this.#events = [...events, ...this.#events];
    this.#waiters = [...waiters, ...this.#waiters];
  }

  /** Stops waiting (at close: what could not be written by then is not waited for any longer). */
  releaseAll(): void {
    for (const w of this.take().waiters) w();
  }
}
