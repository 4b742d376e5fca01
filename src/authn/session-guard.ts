import type { Logger } from 'pino';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { SessionGuard } from '../pipeline/authenticator.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { StateStore } from '../state/state-store.ts';
import { sessionBindingRefusalsTotal } from './authn-metrics.ts';

/**
 * The owner of a session: the authentication method, the issuer and the principal id. An API key
 * named `alice` and a JWT subject `alice` are different principals, as are two issuers' `alice`.
 */
export function principalKey(p: Principal): string {
  return JSON.stringify([p.auth, p.issuer ?? '', p.id]);
}

/**
 * Session binding on the StateStore (DESIGN.md invariant 5), keyed `session:<upstream>:<id>`, so
 * that replicas behind a load balancer agree on who owns a session. The transports audit a refused
 * `permits` (they know the client address and transport); this guard audits a conflicting `bind`,
 * i.e. an upstream handing out a session id that another principal already owns.
 */
export class StateSessionGuard implements SessionGuard {
  readonly #state: StateStore;
  readonly #audit: AuditPort;
  readonly #logger: Logger;

  constructor(state: StateStore, audit: AuditPort, logger: Logger) {
    this.#state = state;
    this.#audit = audit;
    this.#logger = logger;
  }

  async bind(sessionKey: string, principal: Principal): Promise<void> {
    const owner = principalKey(principal);
    if (await this.#state.setIfAbsent(`session:${sessionKey}`, owner)) return;
    const existing = await this.#state.get(`session:${sessionKey}`);
    if (existing === owner) return;
    const upstream = sessionKey.slice(0, Math.max(0, sessionKey.indexOf(':')));
    sessionBindingRefusalsTotal.inc({ upstream });
    this.#logger.warn({ upstream, principal: principal.id }, 'session id already bound to another principal; keeping the first binding');
    this.#audit.record({
      type: 'session.binding_refused',
      outcome: 'failure',
      message: 'the upstream issued a session id that is already bound to another principal; the first binding stands',
      principal,
      upstream,
      sessionId: sessionKey.slice(upstream.length + 1),
      code: 'WARDEN_ERR_SESSION_UNKNOWN',
    });
  }

  async permits(sessionKey: string, principal: Principal): Promise<boolean> {
    const owner = await this.#state.get(`session:${sessionKey}`);
    return owner === undefined || owner === principalKey(principal);
  }

  async release(sessionKey: string): Promise<void> {
    await this.#state.delete(`session:${sessionKey}`);
  }
}
