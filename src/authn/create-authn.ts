import type { Logger } from 'pino';
import type { PublicRoute } from '../admin/admin-route.ts';
import { ConfigError } from '../config/load-config.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Authenticator, SessionGuard, UpstreamCredentials } from '../pipeline/authenticator.ts';
import { ANONYMOUS_VIEWER, type Principal } from '../pipeline/principal.ts';
import type { StateStore } from '../state/state-store.ts';
import { createTlsListener, type ManagedTlsListener } from '../tls/tls-listener.ts';
import type { TlsConfig } from '../tls/tls-config.ts';
import { ApiKeyStore } from './api-key-store.ts';
import { authMethods, type AuthConfig } from './auth-config.ts';
import { EdgeAuthenticator } from './edge-authenticator.ts';
import { FailureLimiter } from './failure-limiter.ts';
import { JwtVerifier } from './jwt-verifier.ts';
import { MtlsIdentity } from './mtls-identity.ts';
import { ResourceIdentity, protectedResourceRoutes } from './resource-metadata.ts';
import { StateSessionGuard } from './session-guard.ts';
import { FileAndEnvUpstreamCredentials } from './upstream-credentials.ts';

export interface AuthnDeps {
  readonly config: AuthConfig;
  readonly listen: WardenConfig['listen'];
  readonly upstreams: WardenConfig['upstreams'];
  readonly state: StateStore;
  readonly audit: AuditPort;
  readonly logger: Logger;
  /** Directory of the config file; relative paths resolve against it. */
  readonly baseDir: string;
}

export interface Authn {
  readonly authenticator: Authenticator;
  readonly sessionGuard: SessionGuard;
  readonly upstreamCredentials: UpstreamCredentials;
  readonly publicRoutes: PublicRoute[];
  /** Structurally cli/compose.ts's TlsListener; undefined when listen.tls.mode is off. */
  readonly tls: ManagedTlsListener | undefined;
  close(): Promise<void>;
}


/** Builds everything identity-related from the config: authn/, tls/ and the upstream credentials. */
export async function createAuthn(deps: AuthnDeps): Promise<Authn> {
  const { config, logger } = deps;
  const log = logger.child({ area: 'authn' });
  const methods = authMethods(config.mode);
  // listen.tls is validated by tls/tls-config.ts through config/schema.ts.
  const tlsConfig: TlsConfig = deps.listen.tls;
  if (methods.includes('mtls') && tlsConfig.mode === 'off') throw new ConfigError("auth.mode includes mtls but listen.tls.mode is 'off'");
  if (methods.includes('jwt') && config.authorization_servers.length === 0)
    log.warn('auth.authorization_servers is empty: clients cannot discover where to get a token (RFC 9728 metadata lists none)');

  const closers: (() => void)[] = [];
  try {
    const tls = await createTlsListener(tlsConfig, deps.baseDir, log, methods.includes('mtls') ? config.mtls!.ca_file : undefined);
    if (tls !== undefined) closers.push(() => tls.close());
    const jwt = methods.includes('jwt') ? await JwtVerifier.create(config.jwt!, deps.baseDir) : undefined;
    const apiKeys = methods.includes('api_key') ? new ApiKeyStore(config.api_key, deps.baseDir, log) : undefined;
    if (apiKeys !== undefined) {
      closers.push(() => apiKeys.close());
      if (apiKeys.size === 0) log.warn('auth.mode includes api_key but no keys are configured: every key will be refused');
    }
    const mtls = methods.includes('mtls') ? new MtlsIdentity(config.mtls!, deps.baseDir) : undefined;
    const identity = new ResourceIdentity(config, tls !== undefined);
    const upstreamPaths = new Map(deps.upstreams.map((u) => [u.name, u.path] as const));
    const anonymous: Principal =
      config.anonymous.roles.length === 1 && config.anonymous.roles[0] === 'viewer' ? ANONYMOUS_VIEWER : { ...ANONYMOUS_VIEWER, roles: Object.freeze([...config.anonymous.roles]) };
    const authenticator = new EdgeAuthenticator({
      methods,
      jwt,
      apiKeys,
      apiKeyHeader: config.api_key.header,
      mtls,
      anonymous,
      requiredScopes: config.jwt?.required_scopes ?? [],
      limiter: new FailureLimiter(deps.state, { maxFailures: config.failure_limit.max_failures, windowS: config.failure_limit.window_s }),
      identity,
      upstreamPaths,
      audit: deps.audit,
      logger: log,
    });
    const credentials = new FileAndEnvUpstreamCredentials(
      deps.upstreams.map((u) => ({ name: u.name, auth: u.auth })),
      deps.baseDir,
      log,
    );
    closers.push(() => credentials.close());
    const sessionGuard = new StateSessionGuard(deps.state, deps.audit, log, {
      idleTtlMs: config.sessions.idle_ttl_s * 1000,
      maxPerPrincipal: config.sessions.max_per_principal,
    });
    closers.push(() => sessionGuard.close());
    return {
      authenticator,
      sessionGuard,
      upstreamCredentials: credentials,
      publicRoutes: methods.includes('jwt') ? protectedResourceRoutes(config, identity, [...upstreamPaths.values()]) : [],
      tls,
      close: async () => {
        for (const close of closers.reverse()) close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) close();
    // Bad key files, unreadable JWKS files, missing credential files: a configuration error (exit 2).
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`auth/tls: ${(err as Error).message}`);
  }
}
