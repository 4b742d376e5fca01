import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { BundleSource } from './bundle-source.ts';
import type { PolicyEngine } from './policy-engine.ts';
import { bundleInfo, bundleLoadsTotal } from './policy-metrics.ts';

export type ReloadTrigger = 'startup' | 'watch' | 'poll' | 'sighup' | 'admin';

export interface ReloadResult {
  readonly outcome: 'loaded' | 'refused' | 'unchanged';
  readonly revision: string;
  readonly error?: string;
}

/**
 * Loads bundles from a source into the engine: at start-up (failure there is fatal: no bundle, no
 * start), and on reload by file watch, polling, SIGHUP or the admin API. A new bundle is prepared
 * and smoke-evaluated beside the active one and swapped in atomically; a bad one is refused, the
 * last good one stays active, and the refusal is logged, counted and audited. Reloads are serialised.
 */
export class BundleLoader {
  readonly #source: BundleSource;
  readonly #engine: PolicyEngine;
  readonly #audit: AuditPort;
  readonly #logger: Logger;
  #chain: Promise<unknown> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(source: BundleSource, engine: PolicyEngine, audit: AuditPort, logger: Logger) {
    this.#source = source;
    this.#engine = engine;
    this.#audit = audit;
    this.#logger = logger;
  }

  get source(): BundleSource {
    return this.#source;
  }

  /** The first load. Throws when no valid bundle can be loaded. */
  async start(): Promise<void> {
    const result = await this.reload('startup');
    if (result.outcome !== 'loaded') throw new Error(`no valid policy bundle at start-up from ${this.#source.location}: ${result.error ?? 'nothing loaded'}`);
  }

  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const next = this.#chain.then(() => this.#reloadNow(trigger));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #reloadNow(trigger: ReloadTrigger): Promise<ReloadResult> {
    const previous = this.#engine.revision;
    try {
      const bundle = await this.#source.fetch();
      if (bundle === undefined) {
        bundleLoadsTotal.inc({ outcome: 'unchanged', trigger });
        return { outcome: 'unchanged', revision: previous };
      }
      const prepared = await this.#engine.prepare(bundle);
      if (this.#closed && trigger !== 'startup') return { outcome: 'unchanged', revision: previous };
      this.#engine.activate(prepared);
      this.#source.accepted();
      bundleLoadsTotal.inc({ outcome: 'loaded', trigger });
      bundleInfo.reset();
      bundleInfo.set({ revision: bundle.revision }, 1);
      this.#logger.info({ revision: bundle.revision, previous_revision: previous || undefined, source: bundle.source, signed_by: bundle.signedBy, trigger }, 'policy bundle loaded');
      this.#audit.record({
        type: 'policy.bundle_loaded',
        outcome: 'success',
        message: `policy bundle ${bundle.revision || '(no revision)'} loaded from ${this.#source.kind} source`,
        details: { revision: bundle.revision, previous_revision: previous, source: this.#source.location, signed_by: bundle.signedBy ?? null, trigger },
      });
      return { outcome: 'loaded', revision: bundle.revision };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      bundleLoadsTotal.inc({ outcome: 'refused', trigger });
      this.#logger.error({ source: this.#source.location, trigger, error, active_revision: previous || undefined }, 'policy bundle refused; the last good bundle stays active');
      this.#audit.record({
        type: 'policy.bundle_refused',
        outcome: 'failure',
        message: `policy bundle refused: ${error}`,
        details: { source: this.#source.location, trigger, active_revision: previous },
      });
      return { outcome: 'refused', revision: previous, error };
    }
  }

  /** Reload when the local bundle (directory or file) changes; debounced so one save is one reload. */
  watch(): void {
    if (this.#source.kind === 'http' || this.#watcher !== undefined) return;
    const onChange = () => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => void this.reload('watch'), 300);
      this.#debounce.unref();
    };
    if (this.#source.kind === 'directory') {
      this.#watcher = watch(this.#source.location, { recursive: true, persistent: false }, (_event, name) => {
        if (name === null || /\.(rego|json)$/.test(String(name))) onChange();
      });
    } else {
      // Watch the directory: an atomic replace (write + rename) gives the file a new inode.
      const file = basename(this.#source.location);
      this.#watcher = watch(dirname(this.#source.location), { persistent: false }, (_event, name) => {
        if (name === null || String(name) === file) onChange();
      });
    }
    this.#watcher.on('error', (err) => this.#logger.warn({ err }, 'policy bundle watch failed; SIGHUP or the admin API still reload'));
  }

  /** Polls an http(s) source every interval plus up to `jitterMs` at random (OPA bundle service style). */
  poll(intervalMs: number, jitterMs: number): void {
    if (this.#source.kind !== 'http' || this.#poll !== undefined) return;
    const schedule = () => {
      if (this.#closed) return;
      this.#poll = setTimeout(() => {
        void this.reload('poll').finally(schedule);
      }, intervalMs + Math.random() * jitterMs);
      this.#poll.unref();
    };
    schedule();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    clearTimeout(this.#debounce);
    clearTimeout(this.#poll);
    await this.#chain;
    await this.#source.close();
  }
}
