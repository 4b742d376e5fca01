import type { Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { AuthRequest, AuthResult, Authenticator } from '../pipeline/authenticator.ts';
import type { AuthMethod, Principal } from '../pipeline/principal.ts';
import { API_KEY_PREFIX } from './api-key-format.ts';
import type { ApiKeyStore } from './api-key-store.ts';
import type { AuthMethodName } from './auth-config.ts';
import { authnAttemptsTotal, authnFailuresTotal, authnRateLimitedTotal } from './authn-metrics.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import type { FailureReason } from './failure-reason.ts';
import type { JwtVerifier } from './jwt-verifier.ts';
import { MtlsIdentity } from './mtls-identity.ts';
import type { ResourceIdentity } from './resource-metadata.ts';

export interface EdgeAuthenticatorOptions {
  /** In order; empty means `mode: none` (everyone is anonymous). */
  readonly methods: readonly AuthMethodName[];
  readonly jwt: JwtVerifier | undefined;
  readonly apiKeys: ApiKeyStore | undefined;
  readonly apiKeyHeader: string;
  readonly mtls: MtlsIdentity | undefined;
  readonly anonymous: Principal;
  readonly requiredScopes: readonly string[];
  readonly limiter: FailureLimiter;
  readonly identity: ResourceIdentity;
  /** upstream name → the path the proxy serves it on (its resource URL path). */
  readonly upstreamPaths: ReadonlyMap<string, string>;
  readonly audit: AuditPort;
  readonly logger: Logger;
}

type Attempt =
  | { readonly kind: 'ok'; readonly principal: Principal }
  | { readonly kind: 'fail'; readonly method: AuthMethod | 'none'; readonly reason: FailureReason; readonly detail: string; readonly keyName?: string };

/** Query parameters that carry credentials. RFC 6750 and the MCP spec forbid tokens in the URI. */
const QUERY_CREDENTIALS = ['access_token', 'token', 'id_token', 'api_key', 'apikey', 'key'];
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The authenticator the transports call for every HTTP request and WebSocket upgrade, before any
 * body is read. In a combination, the first method whose credential the request carries decides:
 * a credential that is presented but invalid is a failure, never a fall-through to another method
 * or to anonymous. Every failure is counted per client address, audited (never with the
 * credential) and answered with the RFC 6750 / RFC 9728 challenge.
 */
export class EdgeAuthenticator implements Authenticator {
  readonly #o: EdgeAuthenticatorOptions;
  readonly #queryNames: ReadonlySet<string>;

  constructor(options: EdgeAuthenticatorOptions) {
    this.#o = options;
    this.#queryNames = new Set([...QUERY_CREDENTIALS, options.apiKeyHeader.toLowerCase()]);
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const o = this.#o;
    if (o.methods.length === 0) return { ok: true, principal: o.anonymous };
    if (await o.limiter.blocked(req.clientIp)) {
      authnRateLimitedTotal.inc();
      return { ok: false, error: new WardenError('WARDEN_ERR_AUTHN_RATE_LIMITED', { detail: `client ${req.clientIp}` }), headers: { 'retry-after': String(o.limiter.windowS) } };
    }
    const attempt = await this.#attempt(req);
    if (attempt.kind === 'fail') return this.#refuse(req, attempt);
    const principal = attempt.principal;
    if (principal.auth === 'jwt' && o.requiredScopes.length > 0) {
      const missing = o.requiredScopes.filter((s) => !principal.scopes.includes(s));
      if (missing.length > 0) return this.#refuse(req, { kind: 'fail', method: 'jwt', reason: 'insufficient_scope', detail: `missing scope(s) ${missing.join(' ')}` }, principal);
    }
    authnAttemptsTotal.inc({ method: principal.auth, outcome: 'success' });
    return { ok: true, principal };
  }

  async #attempt(req: AuthRequest): Promise<Attempt> {
    const o = this.#o;
    if (this.#queryCarriesCredential(req.url)) return { kind: 'fail', method: 'none', reason: 'token_in_query', detail: 'credential in the query string' };
    const authorization = req.headers.authorization;
    let bearer: string | undefined;
    if (authorization !== undefined) {
      const match = BEARER.exec(authorization);
      if (match === null) return { kind: 'fail', method: 'none', reason: /^bearer\b/i.test(authorization) ? 'malformed' : 'unsupported_scheme', detail: 'Authorization header is not a Bearer token' };
      bearer = match[1]!;
    }
    const headerKey = req.headers[o.apiKeyHeader.toLowerCase()];
    const apiKeyHeader = Array.isArray(headerKey) ? headerKey[0] : headerKey;
    const jwtEnabled = o.methods.includes('jwt');
    for (const method of o.methods) {
      switch (method) {
        case 'jwt': {
          if (bearer === undefined || bearer.startsWith(API_KEY_PREFIX)) break;
          const audience = this.#audience(req);
          const outcome = await o.jwt!.verify(bearer, audience === undefined ? [] : [audience]);
          return outcome.ok ? { kind: 'ok', principal: outcome.principal } : { kind: 'fail', method: 'jwt', reason: outcome.reason, detail: outcome.detail };
        }
        case 'api_key': {
          // With JWT enabled, a bearer token is an API key only by its prefix; without, any bearer is.
          const key = apiKeyHeader ?? (bearer !== undefined && (!jwtEnabled || bearer.startsWith(API_KEY_PREFIX)) ? bearer : undefined);
          if (key === undefined) break;
          const outcome = o.apiKeys!.verify(key);
          return outcome.ok
            ? { kind: 'ok', principal: outcome.principal }
            : { kind: 'fail', method: 'api_key', reason: outcome.reason, detail: outcome.detail, ...(outcome.keyName === undefined ? {} : { keyName: outcome.keyName }) };
        }
        case 'mtls': {
          if (!MtlsIdentity.presented(req.peerCertificate)) break;
          const outcome = o.mtls!.verify(req.peerCertificate, req.peerVerifyError);
          return outcome.ok ? { kind: 'ok', principal: outcome.principal } : { kind: 'fail', method: 'mtls', reason: outcome.reason, detail: outcome.detail };
        }
        case 'anonymous':
          // Only reached when no earlier method found its credential; a stray credential is not anonymous.
          if (bearer !== undefined || apiKeyHeader !== undefined) break;
          return { kind: 'ok', principal: o.anonymous };
      }
    }
    if (bearer !== undefined || apiKeyHeader !== undefined)
      return { kind: 'fail', method: 'none', reason: 'unsupported_scheme', detail: 'credential of a kind this listener does not accept' };
    return { kind: 'fail', method: 'none', reason: 'missing', detail: 'no credential' };
  }

  #queryCarriesCredential(url: string): boolean {
    const q = url.indexOf('?');
    if (q === -1) return false;
    for (const name of new URLSearchParams(url.slice(q + 1)).keys()) if (this.#queryNames.has(name.toLowerCase())) return true;
    return false;
  }

  #audience(req: AuthRequest): string | undefined {
    const path = this.#o.upstreamPaths.get(req.upstream);
    return path === undefined ? undefined : this.#o.identity.resourceUrl(req.headers, path);
  }

  async #refuse(req: AuthRequest, attempt: Extract<Attempt, { kind: 'fail' }>, principal?: Principal): Promise<AuthResult> {
    const o = this.#o;
    const code: ErrorCode =
      attempt.reason === 'insufficient_scope' ? 'WARDEN_ERR_AUTHN_INSUFFICIENT_SCOPE' : attempt.reason === 'token_in_query' ? 'WARDEN_ERR_AUTHN_TOKEN_IN_QUERY' : 'WARDEN_ERR_AUTHN_REQUIRED';
    // A missing credential is the normal first step of the OAuth discovery flow, not an attack.
    const reachedLimit = attempt.reason === 'missing' ? false : await o.limiter.fail(req.clientIp);
    authnAttemptsTotal.inc({ method: attempt.method, outcome: 'failure' });
    authnFailuresTotal.inc({ method: attempt.method, reason: attempt.reason });
    const userAgent = req.headers['user-agent'];
    if (attempt.reason !== 'missing') {
      o.audit.record({
        type: 'authn.failure',
        outcome: 'failure',
        message: reachedLimit ? `authentication refused (${attempt.reason}); client reached the failure limit` : `authentication refused (${attempt.reason})`,
        ...(principal === undefined ? {} : { principal }),
        clientIp: req.clientIp,
        ...(userAgent === undefined ? {} : { userAgent }),
        upstream: req.upstream,
        code,
        details: { method: attempt.method, reason: attempt.reason, ...(attempt.keyName === undefined ? {} : { key_name: attempt.keyName }), rate_limit_reached: reachedLimit },
      });
    }
    o.logger.info({ client_ip: req.clientIp, upstream: req.upstream, method: attempt.method, reason: attempt.reason, detail: attempt.detail, code }, 'authentication refused');
    return { ok: false, error: new WardenError(code, { detail: `${attempt.method}: ${attempt.detail}` }), headers: { 'www-authenticate': this.#challenge(req, attempt) } };
  }

  /** RFC 6750 §3 challenge, with the RFC 9728 metadata URL when JWT (OAuth) is in use. */
  #challenge(req: AuthRequest, attempt: Extract<Attempt, { kind: 'fail' }>): string {
    const params: [string, string][] = [];
    if (attempt.reason === 'insufficient_scope') params.push(['error', 'insufficient_scope'], ['scope', this.#o.requiredScopes.join(' ')]);
    // A request the server cannot read (RFC 6750 invalid_request) vs a token it read and refused.
    else if (attempt.reason === 'token_in_query' || (attempt.method === 'none' && attempt.reason !== 'missing')) params.push(['error', 'invalid_request']);
    else if (attempt.reason !== 'missing') params.push(['error', 'invalid_token']);
    const path = this.#o.upstreamPaths.get(req.upstream);
    const metadata = path === undefined ? undefined : this.#o.identity.metadataUrl(req.headers, path);
    if (this.#o.methods.includes('jwt') && metadata !== undefined) params.push(['resource_metadata', metadata]);
    else params.unshift(['realm', 'mcp-warden']);
    return `Bearer ${params.map(([k, v]) => `${k}="${v.replace(/["\\]/g, '')}"`).join(', ')}`;
  }
}
