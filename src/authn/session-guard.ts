import type { Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { SessionGuard, SessionOwnership } from '../pipeline/authenticator.ts';
import { ANONYMOUS_VIEWER, type Principal } from '../pipeline/principal.ts';
import type { StateStore } from '../state/state-store.ts';
import { sessionBindingRefusalsTotal, sessionLimitRefusalsTotal } from './authn-metrics.ts';

/**
 * The owner of a session: the authentication method, the issuer and the principal id. An API key
 * named `alice` and a JWT subject `alice` are different principals, as are two issuers' `alice`.
 */
export function principalKey(p: Principal): string {
  return JSON.stringify([p.auth, p.issuer ?? '', p.id]);
}

export interface SessionLimits {
  /** A binding unused this long expires (sliding: every use restarts it). */
  readonly idleTtlMs: number;
  readonly maxPerPrincipal: number;
}

/**
 * Anonymous callers all share one principal, so one shared cap would let a single caller lock every
 * other one out (and 100 honest anonymous users would too). They are not capped per principal; the
 * idle TTL and each process's session table (10,000, least recently used evicted) bound them.
 */
function capped(principal: Principal): boolean {
  return principal.auth !== 'anonymous';
}
const ANONYMOUS_OWNER = principalKey(ANONYMOUS_VIEWER);

/** Refreshing a set member must never be refused by the cap: it is already counted. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Session binding on the StateStore (DESIGN.md invariant 5), so that replicas behind a load
 * balancer agree on who owns a session:
 * - `session:<upstream>:<id>` → owner, with a sliding idle TTL;
 * - `sessions-of:<owner>`, a bounded set of the owner's live session keys (the per-principal cap).
 * A session with no live binding is `unknown`, never "anyone's": an expired binding does not let
 * another principal take the session over; the transports answer 404 and the client re-initialises.
 * The transports audit a `foreign` answer (they know the client address); this guard audits a
 * conflicting `bind` and every refusal for the cap.
 */
export class StateSessionGuard implements SessionGuard {
  readonly #state: StateStore;
  readonly #audit: AuditPort;
  readonly #logger: Logger;
  readonly #limits: SessionLimits;
  /** Connection-bound sessions (legacy SSE stream, WebSocket): kept alive until released. */
  readonly #held = new Map<string, NodeJS.Timeout>();

  constructor(state: StateStore, audit: AuditPort, logger: Logger, limits: SessionLimits) {
    this.#state = state;
    this.#audit = audit;
    this.#logger = logger;
    this.#limits = limits;
  }

  get idleTtlMs(): number {
    return this.#limits.idleTtlMs;
  }

  async admit(upstream: string, principal: Principal): Promise<void> {
    if (!capped(principal)) return;
    if ((await this.#state.setSize(ownedKey(principalKey(principal)))) >= this.#limits.maxPerPrincipal) throw this.#overLimit(upstream, undefined, principal);
  }

  async bind(sessionKey: string, principal: Principal, options: { connection?: boolean } = {}): Promise<void> {
    const owner = principalKey(principal);
    const { upstream, sessionId } = splitKey(sessionKey);
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.#state.get(bindingKey(sessionKey));
      if (existing === owner) {
        await this.#refresh(sessionKey, owner);
        break;
      }
      if (existing !== undefined) {
        this.#conflict(upstream, sessionId, principal);
        return;
      }
      if (capped(principal) && !(await this.#state.addToBoundedSet(ownedKey(owner), sessionKey, this.#limits.maxPerPrincipal, this.#limits.idleTtlMs)))
        throw this.#overLimit(upstream, sessionId, principal);
      if (await this.#state.setIfAbsent(bindingKey(sessionKey), owner, this.#limits.idleTtlMs)) break;
      // Another bind of the same id won the race: give the slot back and look again.
      if (capped(principal)) await this.#state.removeFromSet(ownedKey(owner), sessionKey);
    }
    if (options.connection === true && !this.#held.has(sessionKey)) {
      const timer = setInterval(() => {
        this.#refresh(sessionKey, owner).catch((err: unknown) => this.#logger.warn({ err: String(err), upstream }, 'could not refresh a session binding'));
      }, Math.max(1_000, Math.floor(this.#limits.idleTtlMs / 3)));
      timer.unref();
      this.#held.set(sessionKey, timer);
    }
  }

  async ownership(sessionKey: string, principal: Principal): Promise<SessionOwnership> {
    const owner = await this.#state.get(bindingKey(sessionKey));
    if (owner === undefined) return 'unknown';
    if (owner !== principalKey(principal)) return 'foreign';
    await this.#refresh(sessionKey, owner);
    return 'owner';
  }

  async release(sessionKey: string): Promise<void> {
    clearInterval(this.#held.get(sessionKey));
    this.#held.delete(sessionKey);
    const owner = await this.#state.get(bindingKey(sessionKey));
    await this.#state.delete(bindingKey(sessionKey));
    if (owner !== undefined) await this.#state.removeFromSet(ownedKey(owner), sessionKey);
  }

  /** Stops keeping connection-bound sessions alive (shutdown). */
  close(): void {
    for (const timer of this.#held.values()) clearInterval(timer);
    this.#held.clear();
  }

  async #refresh(sessionKey: string, owner: string): Promise<void> {
    if ((await this.#state.touch(bindingKey(sessionKey), this.#limits.idleTtlMs)) && owner !== ANONYMOUS_OWNER)
      await this.#state.addToBoundedSet(ownedKey(owner), sessionKey, NO_LIMIT, this.#limits.idleTtlMs);
  }

  #conflict(upstream: string, sessionId: string, principal: Principal): void {
    sessionBindingRefusalsTotal.inc({ upstream });
    this.#logger.warn({ upstream, principal: principal.id }, 'session id already bound to another principal; keeping the first binding');
    this.#audit.record({
      type: 'session.binding_refused',
      outcome: 'failure',
      message: 'the upstream issued a session id that is already bound to another principal; the first binding stands',
      principal,
      upstream,
      sessionId,
      code: 'WARDEN_ERR_SESSION_UNKNOWN',
    });
  }

  #overLimit(upstream: string, sessionId: string | undefined, principal: Principal): WardenError {
    const limit = this.#limits.maxPerPrincipal;
    sessionLimitRefusalsTotal.inc({ upstream });
    this.#logger.info({ upstream, principal: principal.id, limit }, 'session refused: principal holds the maximum number of live sessions');
    this.#audit.record({
      type: 'session.binding_refused',
      outcome: 'failure',
      message: `principal already holds ${limit} live sessions (auth.sessions.max_per_principal)`,
      principal,
      upstream,
      ...(sessionId === undefined ? {} : { sessionId }),
      code: 'WARDEN_ERR_SESSION_LIMIT',
      details: { limit },
    });
    return new WardenError('WARDEN_ERR_SESSION_LIMIT', { detail: `${principal.id} holds ${limit} live sessions` });
  }
}

const bindingKey = (sessionKey: string) => `session:${sessionKey}`;
const ownedKey = (owner: string) => `sessions-of:${owner}`;

function splitKey(sessionKey: string): { upstream: string; sessionId: string } {
  const colon = Math.max(0, sessionKey.indexOf(':'));
  return { upstream: sessionKey.slice(0, colon), sessionId: sessionKey.slice(colon + 1) };
}
