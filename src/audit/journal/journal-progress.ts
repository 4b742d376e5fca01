/**
 * What the proxy thread (the journal's writer) and the audit thread (its reader) tell each other
 * without a message: a few counters in shared memory, read and written with Atomics. A message
 * would cost the proxy thread a system call (to wake the audit thread) per event-loop turn; these
 * cost nothing, and the audit thread looks at them when it polls.
 */
const FILE = 0; // index of the journal file the writer appends to
const WRITTEN = 1; // bytes the writer appended, all files together, since it opened
const CONSUMED = 2; // bytes the reader is done with (spooled, or skipped as unreadable)

export class JournalProgress {
  readonly buffer: SharedArrayBuffer;
  readonly #a: BigInt64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(3 * 8)) {
    this.buffer = buffer;
    this.#a = new BigInt64Array(buffer);
  }

  get file(): number {
    return Number(Atomics.load(this.#a, FILE));
  }

  set file(index: number) {
    Atomics.store(this.#a, FILE, BigInt(index));
  }

  get written(): number {
    return Number(Atomics.load(this.#a, WRITTEN));
  }

  addWritten(bytes: number): void {
    Atomics.add(this.#a, WRITTEN, BigInt(bytes));
  }

  get consumed(): number {
    return Number(Atomics.load(this.#a, CONSUMED));
  }

  addConsumed(bytes: number): void {
    Atomics.add(this.#a, CONSUMED, BigInt(bytes));
  }

  /** Bytes appended that the reader has not spooled yet. */
  get backlog(): number {
    return this.written - this.consumed;
  }
}
