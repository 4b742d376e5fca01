import { Worker } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { AuditConfig } from './audit-config.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { auditDropped, auditErrors } from './audit-metrics.ts';
import { MetricsMirror, type MetricSnapshot } from './metrics-mirror.ts';

/** What the proxy thread tells the audit thread. */
export type ToAuditThread =
  /** `events`: one JSON array of `[facts, loggedAtMs]`, one message per event-loop turn. */
  | { readonly type: 'events'; readonly batch: number; readonly events: string }
  | { readonly type: 'drain'; readonly id: number }
  | { readonly type: 'wait-sink'; readonly id: number; readonly sink: number; readonly seq: number; readonly timeoutMs: number }
  | { readonly type: 'close'; readonly id: number };

/** What the audit thread tells the proxy thread. */
export type FromAuditThread =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'written'; readonly batch: number }
  | { readonly type: 'state'; readonly refusal: { readonly code: string; readonly detail: string } | undefined; readonly readiness: { readonly ok: boolean; readonly reason?: string } }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  /** A message the audit thread could not handle: its batch or question fails (never left waiting). */
  | { readonly type: 'failed-message'; readonly batch?: number; readonly id?: number; readonly message: string }
  | { readonly type: 'metrics'; readonly snapshots: MetricSnapshot[] }
  | { readonly type: 'log'; readonly line: string };

export interface AuditThreadData {
  readonly config: AuditConfig;
  readonly baseDir: string;
  readonly replicaId: string;
  readonly logLevel: string;
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

/**
 * The proxy thread's side of the audit thread (audit-worker.ts), which owns the spool and the
 * sinks. The proxy thread only gathers facts: each event-loop turn's events go over as one
 * message, and their promise resolves when the audit thread reports them written to the spool
 * file — an answer still waits for its event to be durable (no loss on a crash), but the work of
 * writing the line, hashing it, the disk and the sinks' I/O no longer run on the proxy's event loop.
 *
 * If the audit thread dies, every event waiting for it fails with WARDEN_ERR_AUDIT_UNAVAILABLE (its
 * answer becomes a refusal) and new requests are refused: fail closed, never unaudited.
 */
export class AuditThread {
  readonly #worker: Worker;
  readonly #log: Logger;
  readonly #metrics = new MetricsMirror();
  /** This turn's events, each already JSON (`[facts, loggedAtMs]`). */
  #pending: string[] = [];
  #pendingWritten: Promise<void> | undefined;
  #pendingWaiting: Waiting | undefined;
  #sendScheduled: NodeJS.Immediate | undefined;
  /** Batches sent and not yet reported written, with how many events each holds. */
  readonly #waiting = new Map<number, Waiting & { readonly events: number }>();
  readonly #replies = new Map<number, Waiting<unknown>>();
  #nextId = 1;
  #refusal: WardenError | undefined;
  #readiness: { ok: boolean; reason?: string } = { ok: true };
  #stopped: string | undefined;
  #closing: Promise<void> | undefined;
  /** Set once close() ends the thread itself: its exit is then expected, not a failure. */
  #stopping = false;
  /** Settle start(): the thread opened its spool and sinks, or could not. */
  #onReady: () => void = () => {};
  #onFailed: (message: string) => void = () => {};

  private constructor(worker: Worker, log: Logger) {
    this.#worker = worker;
    this.#log = log;
  }

  /** Starts the audit thread; rejects if it cannot open the spool or a sink. `code` is a test seam (a thread that misbehaves). */
  static async start(data: Omit<AuditThreadData, 'logLevel'>, logger: Logger, code: WorkerEntry = workerEntry()): Promise<AuditThread> {
    const log = logger.child({ component: 'audit' });
    const workerData: AuditThreadData = { ...data, logLevel: logger.level };
    const worker = new Worker(code.entry, { workerData, name: 'mcp-warden-audit', eval: code.eval });
    const thread = new AuditThread(worker, log);
    await new Promise<void>((resolve, reject) => {
      const early = (err: Error) => reject(err);
      worker.once('error', early);
      worker.once('exit', (code) => reject(new Error(`audit thread exited with code ${code} while starting`)));
      thread.#onReady = () => {
        worker.off('error', early);
        worker.removeAllListeners('exit');
        resolve();
      };
      thread.#onFailed = (message) => reject(new Error(message));
      worker.on('message', (m: FromAuditThread) => thread.#receive(m));
    });
    worker.on('error', (err: unknown) => thread.#stop(`error: ${err instanceof Error ? err.message : String(err)}`));
    worker.on('exit', (code) => thread.#stop(`exited with code ${code}`));
    return thread;
  }

  /**
   * Queues the event; resolves once it is written to the spool file, rejects (WARDEN_ERR_AUDIT_UNAVAILABLE)
   * if it cannot be: the audit thread is gone or closing. A caller may drop the promise: a rejection
   * nobody awaits is handled here (it is already logged and counted), never an unhandled rejection.
   */
  write(facts: ExchangeFacts): Promise<void> {
    if (this.#stopped !== undefined || this.#closing !== undefined) {
      auditDropped.inc({ reason: 'closed' });
      return handled(Promise.reject(this.#unavailable()));
    }
    let json: string;
    try {
      json = JSON.stringify([facts, Date.now()]);
    } catch (err) {
      // Facts that cannot be serialised (a BigInt in security details, say): this event fails, alone.
      auditErrors.inc({ where: 'event' });
      this.#log.error({ err }, 'audit: could not serialise an event');
      return handled(Promise.reject(new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail: `audit event not serialisable: ${(err as Error).message}` })));
    }
    this.#pending.push(json);
    if (this.#pendingWritten === undefined) {
      this.#pendingWritten = handled(new Promise<void>((resolve, reject) => (this.#pendingWaiting = { resolve, reject })));
      this.#sendScheduled = setImmediate(() => this.#send());
    }
    return this.#pendingWritten;
  }

  #send(): void {
    if (this.#sendScheduled !== undefined) clearImmediate(this.#sendScheduled);
    this.#sendScheduled = undefined;
    const events = this.#pending;
    const waiting = this.#pendingWaiting;
    this.#pending = [];
    this.#pendingWritten = undefined;
    this.#pendingWaiting = undefined;
    if (waiting === undefined) return;
    if (this.#stopped !== undefined) {
      this.#lost(events.length);
      return waiting.reject(this.#unavailable());
    }
    const batch = this.#nextId++;
    this.#waiting.set(batch, { ...waiting, events: events.length });
    this.#post({ type: 'events', batch, events: `[${events.join(',')}]` });
  }

  /** Why a new MCP request must be refused now, if it must (as last reported by the audit thread). */
  refusal(): WardenError | undefined {
    if (this.#stopped !== undefined) return this.#unavailable();
    return this.#refusal;
  }

  readiness(): { ok: boolean; reason?: string } {
    if (this.#stopped !== undefined) return { ok: false, reason: `audit thread stopped (${this.#stopped})` };
    return this.#readiness;
  }

  /** Everything written so far is in the spool; returns the last sequence number (tests, benchmarks). Rejects after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail: `audit not drained within ${timeoutMs} ms` })), timeoutMs);
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

  /** Sends what is queued, lets the audit thread close the spool and sinks, and ends it. */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#send();
    if (this.#stopped === undefined) {
      const closed = this.#ask({ type: 'close', id: 0 }).catch(() => {});
      await Promise.race([closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.#stopping = true;
    await this.#worker.terminate();
  }

  /** Sends a question (its `id` is filled in here) and resolves with the audit thread's reply. */
  #ask(message: Exclude<ToAuditThread, { type: 'events' }>): Promise<unknown> {
    if (this.#stopped !== undefined) return Promise.reject(this.#unavailable());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#post({ ...message, id } as ToAuditThread);
    });
  }

  #post(message: ToAuditThread): void {
    this.#worker.postMessage(message);
  }

  #receive(m: FromAuditThread): void {
    switch (m.type) {
      case 'written': {
        const w = this.#waiting.get(m.batch);
        this.#waiting.delete(m.batch);
        w?.resolve();
        return;
      }
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
        const err = new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail: `audit thread: ${m.message}` });
        const w = m.batch !== undefined ? this.#waiting.get(m.batch) : m.id !== undefined ? this.#replies.get(m.id) : undefined;
        if (m.batch !== undefined) this.#waiting.delete(m.batch);
        if (m.id !== undefined) this.#replies.delete(m.id);
        w?.reject(err);
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
        this.#onReady();
        return;
      case 'failed':
        this.#onFailed(m.message);
        return;
    }
  }

  #unavailable(): WardenError {
    return new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail: this.#stopped !== undefined ? `audit thread stopped (${this.#stopped})` : 'audit is closing' });
  }

  /** Events the audit thread took or was to take, and will never write: always logged and counted, at close too. */
  #lost(events: number): void {
    if (events === 0) return;
    auditDropped.inc({ reason: 'thread_stopped' }, events);
    this.#log.error({ events, reason: this.#stopped }, 'audit: events not written (the audit thread stopped first)');
  }

  /** The audit thread is gone: fail closed. */
  #stop(why: string): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = why;
    if (!this.#stopping) {
      auditErrors.inc({ where: 'thread' });
      this.#log.error({ reason: why }, 'audit thread stopped: events cannot be written; answers waiting for their event and new requests are refused');
    }
    const err = this.#unavailable();
    this.#send(); // this turn's events fail now, not at the next turn
    for (const w of this.#waiting.values()) {
      this.#lost(w.events);
      w.reject(err);
    }
    this.#waiting.clear();
    for (const r of this.#replies.values()) r.reject(err);
    this.#replies.clear();
  }
}

/** Marks a promise's rejection as handled (callers that await it still see it). */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
