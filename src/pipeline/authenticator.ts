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
  /** The verified client certificate when the listener does mTLS. */
  readonly peerCertificate: PeerCertificate | undefined;
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  /** `headers` go on the HTTP refusal (e.g. WWW-Authenticate with resource_metadata). */
  | { readonly ok: false; readonly error: WardenError; readonly headers: Readonly<Record<string, string>> };

/** Implemented by authn/. With `auth.mode: none` the core uses one that returns ANONYMOUS_VIEWER. */
export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthResult>;
}

/**
 * Session binding (DESIGN.md invariant 5): a session key (`<upstream>:<session id>`) belongs to the
 * principal that opened it. Implemented by authn/ on the StateStore.
 */
export interface SessionGuard {
  /** Records that `principal` opened the session. */
  bind(sessionKey: string, principal: Principal): Promise<void>;
  /** True if the session is unbound (unknown to us) or bound to this same principal. */
  permits(sessionKey: string, principal: Principal): Promise<boolean>;
  release(sessionKey: string): Promise<void>;
}

/** Headers the proxy adds on its way to an upstream (its own credential; never the client's). */
export interface UpstreamCredentials {
  headersFor(upstream: string): Readonly<Record<string, string>>;
}
