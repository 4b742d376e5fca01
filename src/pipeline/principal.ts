/** Who is calling. Set by authn/ before the pipeline runs; policy and audit read it. */
export type AuthMethod = 'jwt' | 'api_key' | 'mtls' | 'anonymous';

export interface Principal {
  readonly id: string;
  readonly issuer?: string;
  readonly auth: AuthMethod;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  /** Epoch seconds after which the credential is no longer valid (long streams end then). */
  readonly expiresAt?: number;
}

/** The principal used when `auth.mode: none`: role viewer, read tools only (DESIGN.md defaults). */
export const ANONYMOUS_VIEWER: Principal = Object.freeze({
  id: 'anonymous',
  auth: 'anonymous',
  roles: Object.freeze(['viewer']),
  scopes: Object.freeze([]),
  claims: Object.freeze({}),
});
