import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { AuditConfig } from './audit-config.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { auditDropped, auditErrors } from './audit-metrics.ts';
import { JournalProgress } from './journal/journal-progress.ts';
import { JournalWriter } from './journal/journal-writer.ts';
import { MetricsMirror, type MetricSnapshot } from './metrics-mirror.ts';

/** What the proxy thread tells the audit thread. */
export type ToAuditThread =
  /** fsync `always`: events were appended to the journal and answers wait for them; spool them now. */
  | { readonly type: 'poke' }
  | { readonly type: 'drain'; readonly id: number }
  | { readonly type: 'wait-sink'; readonly id: number; readonly sink: number; readonly seq: number; readonly timeoutMs: number }
  | { readonly type: 'close'; readonly id: number };

/** What the audit thread tells the proxy thread. */
export type FromAuditThread =
  | { readonly type: 'ready'; readonly spoolDir: string }
  | { readonly type: 'failed'; readonly message: string }
  /** fsync `always`: every journal byte up to `through` is in the spool, synced. */
  | { readonly type: 'spooled'; readonly through: number }
  | { readonly type: 'state'; readonly refusal: { readonly code: string; readonly detail: string } | undefined; readonly readiness: { readonly ok: boolean; readonly reason?: string } }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  /** A message the audit thread could not handle: its question fails (never left waiting). */
  | { readonly type: 'failed-message'; readonly id?: number; readonly message: string }
  | { readonly type: 'metrics'; readonly snapshots: MetricSnapshot[] }
  | { readonly type: 'log'; readonly line: string };

export interface AuditThreadData {
  readonly config: AuditConfig;
  readonly baseDir: string;
  readonly replicaId: string;
  readonly logLevel: string;
  /** The journal's shared counters (journal-progress.ts). */
  readonly journal: SharedArrayBuffer;
}

interface Waiting<T = void> {
  readonly resolve: (value: T) => void;
  readonly reject: (err: WardenError) => void;
}

/** Where the audit thread's code is. */
export interface WorkerEntry {
  readonly entry: string | URL;
  /** `entry` is code, not a file. */
  readonly eval: boolean;
}

/**
 * The audit thread's code: from dist/, the compiled audit-worker.js; from src/ (run through tsx),
 * audit-worker.ts behind a line that registers tsx first, since a worker thread does not inherit
 * the parent's module hooks (Node 20 refuses the .ts entry even with `--import tsx` in execArgv).
 */
function workerEntry(): WorkerEntry {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./audit-worker.js', import.meta.url), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./audit-worker.ts', import.meta.url).href;
  return { entry: `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(worker)}); });`, eval: true };
}

/** After a journal write failed, new requests are refused; one is let through this often to try again. */
const JOURNAL_RETRY_MS = 1000;

/**
 * The proxy thread's side of audit. Each event-loop turn's events are appended to the journal with
 * one synchronous write (journal-writer.ts), and their promise resolves once they are in the file:
 * a crash of the process can no longer lose them, so the answers that waited may go out. The audit
 * thread (audit-worker.ts) moves them from the journal into the hash-chained spool and feeds the
 * sinks: building the lines, hashing, the spool's disk and every sink's I/O stay off the proxy's
 * event loop, and no answer waits for that thread — except with fsync `always`, where an answer
 * waits until its event is synced in the spool.
 *
 * Fail closed: if the journal cannot be written, the answers of that turn are refused
 * (WARDEN_ERR_AUDIT_UNAVAILABLE) and so are new requests, until a write succeeds again. If the
 * audit thread dies, or falls behind by more than `journal_max_bytes`, new requests are refused;
 * what is in the journal stays there and is spooled when the audit thread next starts.
 */
export class AuditThread {
  readonly #worker: Worker;
  readonly #log: Logger;
  readonly #config: AuditConfig;
  readonly #progress: JournalProgress;
  readonly #metrics = new MetricsMirror();
  #journal: JournalWriter | undefined;
  /** This turn's events, each already a journal line without its newline. */
  #pending: string[] = [];
  #pendingWritten: Promise<void> | undefined;
  #pendingWaiting: Waiting | undefined;
  #sendScheduled: NodeJS.Immediate | undefined;
  /** fsync `always`: turns appended to the journal and waiting to be synced in the spool, oldest first. */
  readonly #waitingSpooled: (Waiting & { readonly through: number })[] = [];
  readonly #replies = new Map<number, Waiting<unknown>>();
  #nextId = 1;
  /** The last journal write failed: why, and when. */
  #journalFailure: { readonly reason: string; readonly at: number } | undefined;
  #refusal: WardenError | undefined;
  #readiness: { ok: boolean; reason?: string } = { ok: true };
  #stopped: string | undefined;
  #closing: Promise<void> | undefined;
  /** Set once close() ends the thread itself: its exit is then expected, not a failure. */
  #stopping = false;
  /** Settle start(): the thread opened its spool and sinks, or could not. */
  #onReady: (spoolDir: string) => void = () => {};
  #onFailed: (message: string) => void = () => {};

  private constructor(worker: Worker, log: Logger, config: AuditConfig, progress: JournalProgress) {
    this.#worker = worker;
    this.#log = log;
    this.#config = config;
    this.#progress = progress;
  }

  /** Starts the audit thread; rejects if it cannot open the spool, a sink or the journal. `code` is a test seam (a thread that misbehaves). */
  static async start(data: Omit<AuditThreadData, 'logLevel' | 'journal'>, logger: Logger, code: WorkerEntry = workerEntry()): Promise<AuditThread> {
    const log = logger.child({ component: 'audit' });
    const progress = new JournalProgress();
    const workerData: AuditThreadData = { ...data, logLevel: logger.level, journal: progress.buffer };
    const worker = new Worker(code.entry, { workerData, name: 'mcp-warden-audit', eval: code.eval });
    const thread = new AuditThread(worker, log, data.config, progress);
    const spoolDir = await new Promise<string>((resolve, reject) => {
      const early = (err: Error) => reject(err);
      worker.once('error', early);
      worker.once('exit', (code) => reject(new Error(`audit thread exited with code ${code} while starting`)));
      thread.#onReady = (dir) => {
        worker.off('error', early);
        worker.removeAllListeners('exit');
        resolve(dir);
      };
      thread.#onFailed = (message) => reject(new Error(message));
      worker.on('message', (m: FromAuditThread) => thread.#receive(m));
    });
    worker.on('error', (err: unknown) => thread.#stop(`error: ${err instanceof Error ? err.message : String(err)}`));
    worker.on('exit', (code) => thread.#stop(`exited with code ${code}`));
    try {
      // Only now: the audit thread holds the spool and has read what earlier runs left in the journal.
      thread.#journal = JournalWriter.open(spoolDir, data.config.spool.journal_file_bytes, progress);
    } catch (err) {
      await thread.close();
      throw err;
    }
    return thread;
  }

  /**
   * Queues the event; resolves once it is in the journal (with fsync `always`: synced in the spool),
   * rejects (WARDEN_ERR_AUDIT_UNAVAILABLE) if it cannot be: the journal cannot be written, or audit
   * is closing. A caller may drop the promise: a rejection nobody awaits is handled here (it is
   * already logged and counted), never an unhandled rejection.
   */
  write(facts: ExchangeFacts): Promise<void> {
    if (this.#closing !== undefined) {
      auditDropped.inc({ reason: 'closed' });
      return handled(Promise.reject(this.#unavailable('audit is closing')));
    }
    let line: string;
    try {
      line = JSON.stringify([randomUUID(), facts, Date.now()]);
    } catch (err) {
      // Facts that cannot be serialised (a BigInt in security details, say): this event fails, alone.
      auditErrors.inc({ where: 'event' });
      this.#log.error({ err }, 'audit: could not serialise an event');
      return handled(Promise.reject(this.#unavailable(`audit event not serialisable: ${(err as Error).message}`)));
    }
    this.#pending.push(line);
    if (this.#pendingWritten === undefined) {
      this.#pendingWritten = handled(new Promise<void>((resolve, reject) => (this.#pendingWaiting = { resolve, reject })));
      this.#sendScheduled = setImmediate(() => this.#send());
    }
    return this.#pendingWritten;
  }

  /** This turn's events go into the journal in one write. */
  #send(): void {
    if (this.#sendScheduled !== undefined) clearImmediate(this.#sendScheduled);
    this.#sendScheduled = undefined;
    const lines = this.#pending;
    const waiting = this.#pendingWaiting;
    this.#pending = [];
    this.#pendingWritten = undefined;
    this.#pendingWaiting = undefined;
    if (waiting === undefined) return;
    try {
      if (this.#journal === undefined) throw new Error('the journal is closed');
      this.#journal.append(`${lines.join('\n')}\n`);
      this.#journalFailure = undefined;
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.#journalFailure = { reason, at: performance.now() }; // monotonic: a wall-clock step must not end (or prolong) the refusal
      auditErrors.inc({ where: 'journal' });
      auditDropped.inc({ reason: 'journal' }, lines.length);
      this.#log.error({ err, events: lines.length }, 'audit: could not append to the journal; these answers are refused, and new requests until a write succeeds');
      return waiting.reject(this.#unavailable(`audit journal write failing: ${reason}`));
    }
    if (this.#config.spool.fsync === 'batched') return waiting.resolve();
    if (this.#stopped !== undefined) return waiting.reject(this.#unavailable());
    this.#waitingSpooled.push({ ...waiting, through: this.#progress.written });
    this.#worker.postMessage({ type: 'poke' } satisfies ToAuditThread);
  }

  /** Why a new MCP request must be refused now, if it must. */
  refusal(): WardenError | undefined {
    if (this.#stopped !== undefined) return this.#unavailable();
    const failure = this.#journalFailure;
    if (failure !== undefined && performance.now() - failure.at < JOURNAL_RETRY_MS) return this.#unavailable(`audit journal write failing: ${failure.reason}`);
    const backlog = this.#progress.backlog;
    const max = this.#config.spool.journal_max_bytes;
    if (backlog > max) return new WardenError('WARDEN_ERR_AUDIT_SPOOL_FULL', { detail: `audit journal holds ${backlog} bytes not yet spooled (max ${max})` });
    return this.#refusal;
  }

  readiness(): { ok: boolean; reason?: string } {
    if (this.#stopped !== undefined) return { ok: false, reason: `audit thread stopped (${this.#stopped})` };
    if (this.#journalFailure !== undefined) return { ok: false, reason: `audit journal write failing (${this.#journalFailure.reason})` };
    if (this.#progress.backlog > this.#config.spool.journal_max_bytes) return { ok: false, reason: 'audit journal backlog over journal_max_bytes' };
    return this.#readiness;
  }

  /** Everything written so far is in the spool; returns the last sequence number (tests, benchmarks). Rejects after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(this.#unavailable(`audit not drained within ${timeoutMs} ms`)), timeoutMs);
    });
    const drained = (async () => {
      if (this.#pendingWritten !== undefined) await this.#pendingWritten;
      return (await this.#ask({ type: 'drain', id: 0 })) as number;
    })();
    return Promise.race([drained, timedOut]).finally(() => clearTimeout(timer));
  }

  /** Waits until sink number `sink` acknowledged `seq` (tests, benchmarks). */
  async waitForSink(sink: number, seq: number, timeoutMs: number): Promise<boolean> {
    return (await this.#ask({ type: 'wait-sink', id: 0, sink, seq, timeoutMs })) === true;
  }

  /** Appends what is queued, closes the journal, lets the audit thread spool the rest and close the spool and sinks, and ends it. */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#send();
    this.#journal?.close();
    this.#journal = undefined;
    if (this.#stopped === undefined) {
      const closed = this.#ask({ type: 'close', id: 0 }).catch(() => {});
      await Promise.race([closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.#stopping = true;
    await this.#worker.terminate();
  }

  /** Sends a question (its `id` is filled in here) and resolves with the audit thread's reply. */
  #ask(message: Exclude<ToAuditThread, { type: 'poke' }>): Promise<unknown> {
    if (this.#stopped !== undefined) return Promise.reject(this.#unavailable());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id } satisfies ToAuditThread);
    });
  }

  #receive(m: FromAuditThread): void {
    switch (m.type) {
      case 'spooled':
        while (this.#waitingSpooled.length > 0 && (this.#waitingSpooled[0] as { through: number }).through <= m.through) this.#waitingSpooled.shift()?.resolve();
        return;
      case 'state':
        this.#refusal = m.refusal === undefined ? undefined : new WardenError(m.refusal.code as ConstructorParameters<typeof WardenError>[0], { detail: m.refusal.detail });
        this.#readiness = m.readiness;
        return;
      case 'reply': {
        const r = this.#replies.get(m.id);
        this.#replies.delete(m.id);
        r?.resolve(m.value);
        return;
      }
      case 'failed-message': {
        if (m.id === undefined) return;
        const r = this.#replies.get(m.id);
        this.#replies.delete(m.id);
        r?.reject(this.#unavailable(`audit thread: ${m.message}`));
        return;
      }
      case 'metrics':
        this.#metrics.apply(m.snapshots);
        return;
      case 'log':
        // Already a whole pino line from the audit thread's logger: into this thread's log destination as it is.
        (this.#log as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym]?.write(m.line);
        return;
      case 'ready':
        this.#onReady(m.spoolDir);
        return;
      case 'failed':
        this.#onFailed(m.message);
        return;
    }
  }

  #unavailable(detail = this.#stopped !== undefined ? `audit thread stopped (${this.#stopped})` : 'audit is closing'): WardenError {
    return new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail });
  }

  /** The audit thread is gone: fail closed. What is in the journal stays there for the next start. */
  #stop(why: string): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = why;
    const backlog = this.#progress.backlog;
    if (!this.#stopping) {
      auditErrors.inc({ where: 'thread' });
      this.#log.error({ reason: why }, 'audit thread stopped: new requests are refused');
    }
    if (backlog > 0) this.#log.warn({ bytes: backlog, reason: why }, 'audit: events are in the journal, not yet in the spool; they are spooled when mcp-warden next starts');
    const err = this.#unavailable();
    for (const w of this.#waitingSpooled.splice(0)) w.reject(err);
    for (const r of this.#replies.values()) r.reject(err);
    this.#replies.clear();
  }
}

/** Marks a promise's rejection as handled (callers that await it still see it). */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
