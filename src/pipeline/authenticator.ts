import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { WardenError } from '../errors/warden-error.ts';
import type { Principal } from './principal.ts';

/** What an authenticator may look at: one HTTP request or WebSocket upgrade, before any body. */
export interface AuthRequest {
  readonly headers: IncomingHttpHeaders;
  /** Path and query as received (tokens in the query string are refused, not read). */
  readonly url: string;
  readonly clientIp: string;
  readonly upstream: string;
  /** The client certificate when the listener does mTLS (with the chain the client sent). */
  readonly peerCertificate: PeerCertificate | undefined;
  /** Why the TLS layer refused that certificate's chain; undefined when it verified it. */
  readonly peerVerifyError?: string | undefined;
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  /** `headers` go on the HTTP refusal (e.g. WWW-Authenticate with resource_metadata). */
  | { readonly ok: false; readonly error: WardenError; readonly headers: Readonly<Record<string, string>> };

/** Implemented by authn/. With `auth.mode: none` the core uses one that returns ANONYMOUS_VIEWER. */
export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthResult>;
}

/** Who owns a session key: this principal, another one, or nobody (never opened here, released, expired). */
export type SessionOwnership = 'owner' | 'foreign' | 'unknown';

/**
 * Session binding (DESIGN.md invariant 5): a session key (`<upstream>:<session id>`) belongs to the
 * principal that opened it. Implemented by authn/ on the StateStore. Bindings expire after
 * `idleTtlMs` without use, and a principal holds a bounded number of them.
 */
export interface SessionGuard {
  /** A session unused this long is forgotten; transports keep their own per-session state no longer. */
  readonly idleTtlMs: number;
  /**
   * Throws WardenError WARDEN_ERR_SESSION_LIMIT when `principal` already holds the maximum number
   * of live sessions: a cheap early answer before a stream or socket is opened (bind decides).
   */
  admit(upstream: string, principal: Principal): Promise<void>;
  /**
   * Records that `principal` opened the session. `connection: true` keeps the binding alive while a
   * stream or WebSocket connection is open (until `release`). Throws WARDEN_ERR_SESSION_LIMIT when
   * the principal already holds the maximum number of live sessions.
   */
  bind(sessionKey: string, principal: Principal, options?: { connection?: boolean }): Promise<void>;
  /** Whose session this is; an `owner` answer also restarts the idle timer. */
  ownership(sessionKey: string, principal: Principal): Promise<SessionOwnership>;
  release(sessionKey: string): Promise<void>;
}

/** Headers the proxy adds on its way to an upstream (its own credential; never the client's). */
export interface UpstreamCredentials {
  headersFor(upstream: string): Readonly<Record<string, string>>;
}
