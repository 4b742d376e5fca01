import type { UnlinkedEvent } from '../ocsf-event.ts';

/** Someone waiting for a batch: told when it is written, or that it never will be. */
export interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What the spool takes from the queue for one write, and whom to tell when it is written. */
export interface Batch {
  readonly events: UnlinkedEvent[];
  readonly waiters: Waiter[];
}

/**
 * Events appended and not yet written, gathered per event-loop turn: `push` schedules one flush
 * (setImmediate) for everything pushed in the turn, and hands back one promise for the batch — one
 * write and one promise for many events, not one each.
 */
export class AppendQueue {
  readonly #flush: () => void;
  #events: UnlinkedEvent[] = [];
  #waiters: Waiter[] = [];
  #written: Promise<void> | undefined;
  #scheduled = false;

  constructor(flush: () => void) {
    this.#flush = flush;
  }

  get length(): number {
    return this.#events.length;
  }

  /** Resolves once the batch holding `event` is written; rejects if it never will be (see failAll). */
  push(event: UnlinkedEvent): Promise<void> {
    this.#events.push(event);
    this.schedule();
    if (this.#written === undefined) {
      this.#written = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
      this.#written.catch(() => {}); // whoever drops it is not crashed by a rejection; whoever awaits it sees it
    }
    return this.#written;
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
  putBack(events: readonly UnlinkedEvent[], waiters: readonly Waiter[]): void {
    this.#events = [...events, ...this.#events];
    this.#waiters = [...waiters, ...this.#waiters];
  }

  /**
   * At close: what could not be written by then never will be by this process. Its waiters are
   * told so (rejected with `reason`), never that it was written; returns how many events that was.
   */
  failAll(reason: Error): number {
    const { events, waiters } = this.take();
    for (const w of waiters) w.reject(reason);
    return events.length;
  }
}
