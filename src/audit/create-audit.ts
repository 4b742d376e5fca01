import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { WardenError } from '../errors/warden-error.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { PipelineObserver } from '../pipeline/stage.ts';
import { sinkName, type AuditConfig } from './audit-config.ts';
import { auditErrors } from './audit-metrics.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { loadSigningKey } from './chain.ts';
import { boundedWrite } from './bounded-write.ts';
import { ExchangeTracker } from './exchange-tracker.ts';
import { unlinkedEvent } from './ocsf-event.ts';
import { SecurityEventPort } from './security-events.ts';
import { Shipper } from './shipper.ts';
import { createSink } from './sinks/create-sink.ts';
import type { Sink } from './sinks/sink.ts';
import { Spool } from './spool/spool.ts';

export interface AuditDeps {
  readonly config: AuditConfig;
  readonly logger: Logger;
  /** Relative paths in the audit config resolve against it (the config file's directory). */
  readonly baseDir: string;
  /** Names this replica in every event; one hash chain per replica. */
  readonly replicaId: string;
  /** Test seam: sinks built elsewhere (still driven through the spool). */
  readonly extraSinks?: readonly Sink[];
}

export interface Audit {
  readonly port: AuditPort;
  readonly observer: PipelineObserver;
  /** Call before admitting a new MCP request: an error means refuse it (spool full, fail closed). */
  readonly admission: () => WardenError | undefined;
  readonly readiness: () => { ok: boolean; reason?: string };
  /** The spool and shippers, for tests, the benchmark and `audit tail`. */
  readonly spool: Spool | undefined;
  readonly shippers: readonly Shipper[];
  close(): Promise<void>;
}

/** `audit.replica_id`, else $HOSTNAME (the pod name in Kubernetes), else the host name. */
export function replicaIdFor(config: AuditConfig): string {
  const raw = config.replica_id ?? process.env.HOSTNAME ?? hostname();
  return raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128) || 'replica';
}

const NOOP_OBSERVER: PipelineObserver = { onOutcome: () => {} };

/**
 * Wires audit: the pipeline observer and the security-event port build OCSF events and append them
 * to the spool; one shipper per sink delivers from its own cursor. With `enabled: false` or no
 * sinks, audit is off (a warning says so): a spool no sink drains would only fill up and block.
 */
export async function createAudit(deps: AuditDeps): Promise<Audit> {
  const { config, logger } = deps;
  const log = logger.child({ component: 'audit' });
  const sinkCount = config.sinks.length + (deps.extraSinks?.length ?? 0);
  if (!config.enabled || sinkCount === 0) {
    log.warn({ enabled: config.enabled, sinks: sinkCount }, 'audit is off: no audit events will be recorded');
    return { port: { record: () => {} }, observer: NOOP_OBSERVER, admission: () => undefined, readiness: () => ({ ok: true }), spool: undefined, shippers: [], close: async () => {} };
  }
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(deps.baseDir, p));
  const cp = config.checkpoint;
  const keyPem = cp.signing_key ?? (cp.signing_key_file !== undefined ? readFileSync(resolvePath(cp.signing_key_file), 'utf8') : undefined);
  const key = keyPem !== undefined ? loadSigningKey(keyPem) : undefined;
  if (key === undefined) log.warn('audit.checkpoint.signing_key is not set: the hash chain is kept but no signed checkpoints are written');

  const sinks = [...config.sinks.map((s, i) => createSink(s, sinkName(s, i), { resolvePath, logger: log })), ...(deps.extraSinks ?? [])];
  const s = config.spool;
  const spool = await Spool.open({
    dir: resolvePath(s.dir),
    segmentBytes: s.segment_bytes,
    maxBytes: s.max_bytes,
    fullPolicy: s.full_policy,
    fsync: s.fsync,
    fsyncIntervalMs: s.fsync_interval_ms,
    retentionMs: s.retention_ms,
    replicaId: deps.replicaId,
    logger: log,
    ...(key !== undefined ? { checkpoint: { key, keyId: cp.key_id, everyEvents: cp.every_events, intervalMs: cp.interval_ms } } : {}),
  });

  const emit = (facts: ExchangeFacts) => spool.append(unlinkedEvent(facts, randomUUID(), Date.now()));
  const onError = (err: unknown) => {
    auditErrors.inc({ where: 'event' });
    log.error({ err }, 'audit: could not build an event');
  };
  const tracker = new ExchangeTracker({ arguments: config.arguments, maxPending: config.pending.max, timeoutMs: config.pending.timeout_ms, emit, onError });
  // What the pipeline waits on is bounded; the tracker's own (unawaited) writes are not.
  const observer: PipelineObserver = {
    onOutcome: (ctx, outcome) => {
      const written = tracker.onOutcome(ctx, outcome);
      return written === undefined ? undefined : boundedWrite(written, s.write_timeout_ms);
    },
  };
  const port = new SecurityEventPort(emit, onError);
  const shippers = sinks.map((sink, i) => {
    const cfg = config.sinks[i];
    return new Shipper(spool, sink, { batchSize: cfg?.batch_size ?? 500, lingerMs: cfg?.linger_ms ?? 20, retry: { initialMs: cfg?.retry.initial_ms ?? 200, maxMs: cfg?.retry.max_ms ?? 30_000 }, logger: log });
  });
  for (const sh of shippers) await sh.start();
  log.info({ spool: spool.dir, sinks: sinks.map((x) => ({ name: x.name, type: x.type })), resumed_at_seq: spool.seqAtOpen, signed: key !== undefined }, 'audit started');

  let closed = false;
  return {
    port,
    observer,
    admission: () => spool.admission(),
    readiness: () => spool.readiness(),
    spool,
    shippers,
    async close() {
      if (closed) return;
      closed = true;
      tracker.close(); // unanswered requests are audited as such, not forgotten
      await spool.drain();
      // Give sinks a moment to take what is spooled; whatever they do not take is resent at next start.
      await Promise.all(shippers.map((sh) => sh.waitFor(spool.lastSeq, 2000)));
      await Promise.all(shippers.map((sh) => sh.stop()));
      await spool.close();
    },
  };
}
