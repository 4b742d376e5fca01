import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { WardenError } from '../errors/warden-error.ts';
import { sinkName, type AuditConfig } from './audit-config.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { loadSigningKey } from './chain.ts';
import { unlinkedEvent } from './ocsf-event.ts';
import { Shipper } from './shipper.ts';
import { createSink } from './sinks/create-sink.ts';
import { Spool } from './spool/spool.ts';

export interface AuditCoreOptions {
  readonly config: AuditConfig;
  readonly logger: Logger;
  /** Relative paths in the audit config resolve against it (the config file's directory). */
  readonly baseDir: string;
  /** Names this replica in every event; one hash chain per replica. */
  readonly replicaId: string;
}

/**
 * The spool and one shipper per sink: events in, sinks fed from their own cursors. It runs on the
 * audit thread (audit-thread.ts), away from the proxy's event loop: writing an event's line,
 * hashing it, the disk and every sink's network I/O happen there.
 */
export class AuditCore {
  readonly #spool: Spool;
  readonly #shippers: readonly Shipper[];
  #closed = false;

  private constructor(spool: Spool, shippers: readonly Shipper[]) {
    this.#spool = spool;
    this.#shippers = shippers;
  }

  static async open(o: AuditCoreOptions): Promise<AuditCore> {
    const { config, logger: log } = o;
    const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(o.baseDir, p));
    const cp = config.checkpoint;
    const keyPem = cp.signing_key ?? (cp.signing_key_file !== undefined ? readFileSync(resolvePath(cp.signing_key_file), 'utf8') : undefined);
    const key = keyPem !== undefined ? loadSigningKey(keyPem) : undefined;
    if (key === undefined) log.warn('audit.checkpoint.signing_key is not set: the hash chain is kept but no signed checkpoints are written');

    const sinks = config.sinks.map((s, i) => createSink(s, sinkName(s, i), { resolvePath, logger: log }));
    const s = config.spool;
    const spool = await Spool.open({
      dir: resolvePath(s.dir),
      segmentBytes: s.segment_bytes,
      maxBytes: s.max_bytes,
      fullPolicy: s.full_policy,
      fsync: s.fsync,
      fsyncIntervalMs: s.fsync_interval_ms,
      retentionMs: s.retention_ms,
      replicaId: o.replicaId,
      logger: log,
      ...(key !== undefined ? { checkpoint: { key, keyId: cp.key_id, everyEvents: cp.every_events, intervalMs: cp.interval_ms } } : {}),
    });
    const shippers = sinks.map((sink, i) => {
      const c = config.sinks[i];
      return new Shipper(spool, sink, { batchSize: c?.batch_size ?? 500, lingerMs: c?.linger_ms ?? 20, retry: { initialMs: c?.retry.initial_ms ?? 200, maxMs: c?.retry.max_ms ?? 30_000 }, logger: log });
    });
    for (const sh of shippers) await sh.start();
    log.info({ spool: spool.dir, sinks: sinks.map((x) => ({ name: x.name, type: x.type })), resumed_at_seq: spool.seqAtOpen, signed: key !== undefined }, 'audit started');
    return new AuditCore(spool, shippers);
  }

  /** Resolves once the event is in the spool file (see Spool.append). `uid` names the event (given by the journal). */
  append(uid: string, facts: ExchangeFacts, now: number): Promise<void> {
    return this.#spool.append(unlinkedEvent(facts, uid, now));
  }

  get spoolDir(): string {
    return this.#spool.dir;
  }

  /** The uid of the newest event in the spool when it opened: where the journal resumes. */
  get uidAtOpen(): string | undefined {
    return this.#spool.uidAtOpen;
  }

  /** Everything written so far is on stable storage. */
  sync(): Promise<void> {
    return this.#spool.sync();
  }

  /** Why a new MCP request must be refused now (spool full with `block`, or failing writes), if it must. */
  refusal(): WardenError | undefined {
    return this.#spool.admission();
  }

  readiness(): { ok: boolean; reason?: string } {
    return this.#spool.readiness();
  }

  /** Everything appended so far is written; returns the last sequence number. */
  async drain(): Promise<number> {
    await this.#spool.drain();
    return this.#spool.lastSeq;
  }

  /** Waits until sink number `index` acknowledged `seq` (or `timeoutMs`); true if it did. */
  waitForSink(index: number, seq: number, timeoutMs: number): Promise<boolean> {
    return this.#shippers[index]?.waitFor(seq, timeoutMs) ?? Promise.resolve(false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#spool.drain();
    // Give sinks a moment to take what is spooled; whatever they do not take is resent at next start.
    await Promise.all(this.#shippers.map((sh) => sh.waitFor(this.#spool.lastSeq, 2000)));
    await Promise.all(this.#shippers.map((sh) => sh.stop()));
    await this.#spool.close();
  }
}
