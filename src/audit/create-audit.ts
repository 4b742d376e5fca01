import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { WardenError } from '../errors/warden-error.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { PipelineObserver } from '../pipeline/stage.ts';
import type { AuditConfig } from './audit-config.ts';
import { auditErrors } from './audit-metrics.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { AuditThread } from './audit-thread.ts';
import { boundedWrite } from './bounded-write.ts';
import { ExchangeTracker } from './exchange-tracker.ts';
import { SecurityEventPort } from './security-events.ts';

export interface AuditDeps {
  readonly config: AuditConfig;
  readonly logger: Logger;
  /** Relative paths in the audit config resolve against it (the config file's directory). */
  readonly baseDir: string;
  /** Names this replica in every event; one hash chain per replica. */
  readonly replicaId: string;
}

export interface Audit {
  readonly port: AuditPort;
  readonly observer: PipelineObserver;
  /** Call before admitting a new MCP request: an error means refuse it (spool full, fail closed). */
  readonly admission: () => WardenError | undefined;
  readonly readiness: () => { ok: boolean; reason?: string };
  /** Everything recorded so far is in the spool; the last sequence number (tests, the benchmark). 0 when audit is off. */
  drain(): Promise<number>;
  /** Waits until sink number `index` acknowledged `seq` (tests, the benchmark); true if it did. */
  waitForSink(index: number, seq: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** `audit.replica_id`, else $HOSTNAME (the pod name in Kubernetes), else the host name. */
export function replicaIdFor(config: AuditConfig): string {
  const raw = config.replica_id ?? process.env.HOSTNAME ?? hostname();
  return raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128) || 'replica';
}

const NOOP_OBSERVER: PipelineObserver = { onOutcome: () => {} };

/**
 * Wires audit: the pipeline observer and the security-event port gather the facts of each event on
 * the proxy thread and append them to the journal (audit-thread.ts); the audit thread moves them
 * into the spool and feeds every sink from its own cursor. With `enabled: false` or no sinks, audit is off
 * (a warning says so): a spool no sink drains would only fill up and block.
 */
export async function createAudit(deps: AuditDeps): Promise<Audit> {
  const { config, logger } = deps;
  const log = logger.child({ component: 'audit' });
  if (!config.enabled || config.sinks.length === 0) {
    log.warn({ enabled: config.enabled, sinks: config.sinks.length }, 'audit is off: no audit events will be recorded');
    return { port: { record: () => {} }, observer: NOOP_OBSERVER, admission: () => undefined, readiness: () => ({ ok: true }), drain: async () => 0, waitForSink: async () => false, close: async () => {} };
  }
  const thread = await AuditThread.start({ config, baseDir: deps.baseDir, replicaId: deps.replicaId }, logger);

  const emit = (facts: ExchangeFacts) => thread.write(facts);
  const onError = (err: unknown) => {
    auditErrors.inc({ where: 'event' });
    log.error({ err }, 'audit: could not build an event');
  };
  const tracker = new ExchangeTracker({ arguments: config.arguments, maxPending: config.pending.max, timeoutMs: config.pending.timeout_ms, emit, onError });
  // With fsync always, what the pipeline waits on is bounded; the tracker's own (unawaited) writes
  // are not. Every event of one turn shares one write promise, and so one bounded wait.
  let lastWritten: Promise<void> | undefined;
  let lastBounded: Promise<void> | undefined;
  const observer: PipelineObserver = {
    onOutcome: (ctx, outcome) => {
      const written = tracker.onOutcome(ctx, outcome);
      if (written === undefined) return undefined;
      // With fsync batched the journal write settles at the end of this turn: a bound would only cost a timer.
      if (config.spool.fsync === 'batched') return written;
      if (written !== lastWritten) {
        lastWritten = written;
        lastBounded = boundedWrite(written, config.spool.write_timeout_ms);
      }
      return lastBounded;
    },
  };
  // A security event nobody waits for (a failed write is already logged and counted).
  const port = new SecurityEventPort((f) => void thread.write(f), onError);

  let closed = false;
  return {
    port,
    observer,
    admission: () => thread.refusal(),
    readiness: () => thread.readiness(),
    drain: () => thread.drain(),
    waitForSink: (index, seq, timeoutMs) => thread.waitForSink(index, seq, timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      tracker.close(); // unanswered requests are audited as such, not forgotten
      await thread.close();
    },
  };
}
