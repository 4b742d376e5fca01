import type { Logger } from 'pino';
import type { ExchangeFacts } from '../audit-facts.ts';
import { auditDropped, auditErrors, auditJournalBacklog } from '../audit-metrics.ts';
import type { JournalProgress } from './journal-progress.ts';
import type { JournalReader } from './journal-reader.ts';

/** Where the pump puts what it reads: the spool (audit-core.ts). */
export interface SpoolTarget {
  /** Resolves once the event is in the spool file. */
  append(uid: string, facts: ExchangeFacts, loggedAt: number): Promise<void>;
  /** Everything written so far is on stable storage. */
  sync(): Promise<void>;
}

/**
 * How often the journal is looked at while events keep coming, and at most when it is quiet. No
 * answer waits for a pass (fsync `always` asks for one directly), so this is only how late events
 * reach the spool; fewer, larger passes cost the audit thread less per event (measured: 2 ms → 8 ms
 * took ~2 µs of CPU per event off it).
 */
const BUSY_POLL_MS = 8;
const IDLE_POLL_MS = 16;

/**
 * Moves events from the journal into the spool, on the audit thread. It polls the journal's shared
 * counters (journal-progress.ts) rather than waiting for a message per event-loop turn of the proxy
 * thread, which would cost the proxy a system call each time: every 8 ms while events come, backing
 * off to 16 ms when quiet. Everything read in one go is appended in one spool write, and the next
 * read waits for it: if the spool cannot write, the journal holds the events (a bounded backlog).
 */
export class JournalPump {
  readonly #reader: JournalReader;
  readonly #spool: SpoolTarget;
  readonly #progress: JournalProgress;
  readonly #log: Logger;
  readonly #onSpooled: (through: number) => void;
  #tail: Promise<unknown> = Promise.resolve();
  /** The pass queued behind the running one, not started yet. */
  #next: Promise<boolean> | undefined;
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The spool refused a write (it is closed): what is left stays in the journal for the next start. */
  #failed: Error | undefined;

  /** `onSpooled(through)`: everything the writer appended up to `through` bytes is in the spool. */
  constructor(o: { reader: JournalReader; spool: SpoolTarget; progress: JournalProgress; logger: Logger; onSpooled?: (through: number) => void }) {
    this.#reader = o.reader;
    this.#spool = o.spool;
    this.#progress = o.progress;
    this.#log = o.logger;
    this.#onSpooled = o.onSpooled ?? (() => {});
  }

  start(): void {
    this.#poll(0);
  }

  /** Why the pump stopped for good (the spool refused a write), if it did: audit must refuse new requests. */
  get failure(): Error | undefined {
    return this.#failed;
  }

  /** Stops polling (a pass already running finishes). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /**
   * A pass that starts after this call: everything appended to the journal before it is in the
   * spool when it resolves. Resolves true if it spooled anything.
   */
  pass(): Promise<boolean> {
    // A pass queued and not started yet starts after this call too: share it (fsync `always` asks once per proxy turn).
    if (this.#next !== undefined) return this.#next;
    this.#queued++;
    const run = this.#tail
      .then(() => {
        this.#next = undefined;
        return this.#run();
      })
      .finally(() => this.#queued--);
    this.#next = run;
    this.#tail = run.catch(() => {});
    return run;
  }

  #poll(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      // A pass asked for elsewhere (drain, poke) covers this one.
      const pass = this.#queued > 0 ? this.#tail.then(() => true) : this.pass();
      pass.then(
        (found) => this.#poll(found ? BUSY_POLL_MS : Math.min(Math.max(delayMs * 2, BUSY_POLL_MS), IDLE_POLL_MS)),
        (err: unknown) => {
          auditErrors.inc({ where: 'journal' });
          this.#log.error({ err }, 'audit journal: could not move events into the spool; retrying');
          this.#poll(IDLE_POLL_MS);
        },
      );
    }, delayMs);
  }

  async #run(): Promise<boolean> {
    // The reader is past what a refused write held: reading on (or deleting files) would lose it.
    if (this.#failed !== undefined) throw this.#failed;
    let found = false;
    for (;;) {
      const { entries, bytes } = this.#reader.read();
      if (bytes === 0) break;
      found = true;
      // One promise for all (the spool writes a turn's appends together); a set, should that change.
      const writes = new Set<Promise<void>>();
      for (const [uid, facts, loggedAt] of entries) {
        try {
          writes.add(this.#spool.append(uid, facts, loggedAt));
        } catch (err) {
          // Facts this version cannot turn into an event (never seen: they were built by the proxy
          // thread from the same code). Skipping it is the only way forward; it is counted.
          auditErrors.inc({ where: 'event' });
          auditDropped.inc({ reason: 'unwritable' });
          this.#log.error({ err, uid }, 'audit journal: an event could not be built; skipped');
        }
      }
      try {
        await Promise.all(writes);
      } catch (err) {
        this.#failed = err as Error;
        this.stop();
        this.#log.error({ err }, 'audit journal: the spool refused a write; the journal keeps its events until the next start');
        throw err;
      }
      this.#progress.addConsumed(bytes);
      this.#onSpooled(this.#progress.consumed);
    }
    if (this.#reader.hasFinished) {
      await this.#spool.sync();
      this.#reader.deleteFinished();
    }
    auditJournalBacklog.set(this.#progress.backlog);
    return found;
  }
}
