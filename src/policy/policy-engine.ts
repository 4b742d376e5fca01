import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { LRUCache } from 'lru-cache';
import type { PolicyBundle } from './bundle.ts';
import { failClosed, validateResultSet, type Verdict } from './decision-validator.ts';
import { evaluatePatternIndex } from './pattern-index.ts';

/** A bundle instantiated and smoke-evaluated, ready to be swapped in. */
export interface PreparedPolicy {
  readonly bundle: PolicyBundle;
  readonly policy: LoadedPolicy;
  readonly entrypoint: number;
  readonly loadedAt: Date;
}

export interface EngineOptions {
  /** config policy.data, handed to the policy as data.warden. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly redactionTypes: readonly string[];
  readonly entrypoint: string;
  readonly cache: { readonly enabled: boolean; readonly maxEntries: number };
  /**
   * Leave `message.id` and `request.session_id` out of the cache key: true only for a policy known
   * not to read them (the default policy), so that list items and repeated calls hit across
   * requests and sessions.
   */
  readonly keyOmitsIds?: boolean;
}

function withoutIds(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const i = input as { message?: Record<string, unknown>; request?: Record<string, unknown> };
  return { ...i, ...(i.message ? { message: { ...i.message, id: null } } : {}), ...(i.request ? { request: { ...i.request, session_id: null } } : {}) };
}

/** A message every sane policy can decide: a viewer's initialize. Used to smoke-test a new bundle. */
export const SMOKE_INPUT = Object.freeze({
  principal: { id: 'smoke-test', auth: 'anonymous', roles: ['viewer'], scopes: [], claims: {} },
  request: { transport: 'streamable-http', protocol_version: '2025-11-25', session_id: null, client_ip: '127.0.0.1', user_agent: 'mcp-warden', upstream: 'smoke-test' },
  message: { direction: 'to_server', kind: 'request', method: 'initialize', id: 0, params: {} },
  mode: { edit: false, edit_expires_at: null },
});

// Inputs larger than this are evaluated but not cached (their key would cost more than it saves).
const MAX_CACHED_INPUT = 4096;

/**
 * Holds the active compiled policy and evaluates inputs against it, synchronously and without
 * per-message setup (the wasm instance and its data are set once per bundle). A new bundle is
 * prepared beside the active one and swapped in by one assignment; the decision cache is keyed by
 * the bundle generation and the whole input (which carries the edit mode), so a cached decision
 * can never outlive either.
 */
export class PolicyEngine {
  readonly #options: EngineOptions;
  readonly #encoder = new TextEncoder();
  #active: PreparedPolicy | undefined;
  #generation = 0;
  readonly #cache: LRUCache<string, Verdict> | undefined;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#cache = options.cache.enabled ? new LRUCache<string, Verdict>({ max: options.cache.maxEntries }) : undefined;
  }

  get active(): PreparedPolicy | undefined {
    return this.#active;
  }

  get revision(): string {
    return this.#active?.bundle.revision ?? '';
  }

  /** Instantiates the bundle's wasm with its data plus data.warden, and smoke-evaluates it. Throws if unusable. */
  async prepare(bundle: PolicyBundle): Promise<PreparedPolicy> {
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(bundle.wasm);
    } catch (err) {
      throw new Error(`policy.wasm cannot be instantiated: ${describe(err)}`);
    }
    const entrypoints = policy.entrypoints as Record<string, number>;
    const entrypoint = entrypoints[this.#options.entrypoint];
    if (entrypoint === undefined) throw new Error(`bundle has no entrypoint ${this.#options.entrypoint} (it has: ${Object.keys(entrypoints).join(', ') || 'none'})`);
    const configured = this.#options.data;
    const fromBundle = (bundle.data.warden ?? {}) as Record<string, unknown>;
    const redaction = { ...((configured.redaction ?? {}) as Record<string, unknown>), types: this.#options.redactionTypes };
    const data = { ...bundle.data, warden: { ...fromBundle, ...configured, redaction } };
    try {
      policy.setData(data);
    } catch (err) {
      throw new Error(`bundle data cannot be loaded: ${describe(err)}`);
    }
    try {
      // Worked out once per data load, so that no decision has to (see pattern-index.ts).
      const patterns = evaluatePatternIndex(policy);
      if (patterns !== undefined) policy.setData({ ...data, warden_index: { patterns } });
    } catch (err) {
      throw new Error(`the policy's pattern index cannot be computed: ${describe(err)}`);
    }
    const prepared: PreparedPolicy = { bundle, policy, entrypoint, loadedAt: new Date() };
    const smoke = this.#evaluateWith(prepared, JSON.stringify(SMOKE_INPUT));
    if (smoke.rule === 'warden.fail_closed') throw new Error(`bundle failed its smoke evaluation: ${smoke.reason}`);
    return prepared;
  }

  /** Makes a prepared policy the active one. */
  activate(prepared: PreparedPolicy): void {
    this.#active = prepared;
    this.#generation++;
    this.#cache?.clear();
  }

  /** Decides one input. Never throws: anything unusable is a deny. */
  evaluate(input: unknown): Verdict {
    const active = this.#active;
    if (active === undefined) return failClosed('no policy loaded', this.#options.redactionTypes);
    let json: string;
    try {
      json = JSON.stringify(input);
    } catch (err) {
      return failClosed(`input cannot be serialised: ${describe(err)}`, this.#options.redactionTypes);
    }
    if (this.#cache === undefined || json.length > MAX_CACHED_INPUT) return this.#evaluateWith(active, json);
    const key = `${this.#generation}\u0000${this.#options.keyOmitsIds ? JSON.stringify(withoutIds(input)) : json}`;
    let verdict = this.#cache.get(key);
    if (verdict === undefined) {
      verdict = this.#evaluateWith(active, json);
      if (verdict.rule !== 'warden.fail_closed') this.#cache.set(key, verdict);
    }
    return verdict;
  }

  #evaluateWith(prepared: PreparedPolicy, json: string): Verdict {
    let resultSet: unknown;
    try {
      resultSet = prepared.policy.evaluate(this.#encoder.encode(json).buffer, prepared.entrypoint);
    } catch (err) {
      return failClosed(`evaluation error: ${describe(err)}`, this.#options.redactionTypes);
    }
    return validateResultSet(resultSet, this.#options.redactionTypes);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
