import type { WardenConfig } from '../config/schema.ts';
import { redactionEntityTypes } from '../redact/redaction-config.ts';
import { createRedactionStage } from '../redact/redaction-stage.ts';
import type { WardenError } from '../errors/warden-error.ts';
import { createAudit, replicaIdFor } from '../audit/create-audit.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Authenticator, SessionGuard, UpstreamCredentials } from '../pipeline/authenticator.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import type { PipelineObserver, Stage } from '../pipeline/stage.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Logger } from 'pino';
import type { AdminRoute, PublicRoute } from '../admin/admin-route.ts';
import { createPolicyStages } from '../policy/create-policy-stages.ts';
import { createAuthn } from '../authn/create-authn.ts';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

/** A TLS listener: options for https.createServer, and a way to be told when certificates change. */
export interface TlsListener {
  readonly options: TlsOptions;
  /** Called with new options when the certificate or key changes; the server calls setSecureContext. */
  onChange(listener: (options: SecureContextOptions) => void): void;
}

/**
 * The one place that wires concrete pieces together (DESIGN.md: cli/ is the only such place).
 * Each area fills its own block below and nothing else; the order of stages is decided here.
 */
export interface WardenParts {
  readonly pipeline: Pipeline;
  readonly authenticator: Authenticator;
  readonly sessionGuard: SessionGuard;
  readonly upstreamCredentials: UpstreamCredentials;
  readonly audit: AuditPort;
  /** Checks for /readyz beyond upstream reachability (e.g. audit spool full). */
  readonly readiness: readonly (() => { ok: boolean; reason?: string })[];
  /** Consulted before a new client request enters the pipeline; an error refuses it (fail closed). */
  readonly admission: readonly (() => WardenError | undefined)[];
  readonly adminRoutes: readonly AdminRoute[];
  /** Unauthenticated routes on the MCP listener (e.g. /.well-known/oauth-protected-resource). */
  readonly publicRoutes: readonly PublicRoute[];
  /** TLS options for the MCP listener, or undefined for plain HTTP (authn/ owns listen.tls). */
  readonly tls: TlsListener | undefined;
  readonly close: () => Promise<void>;
}

export interface ComposeDeps {
  readonly config: WardenConfig;
  readonly state: StateStore;
  readonly logger: Logger;
  /** Directory the config file is in; relative paths in the config resolve against it. */
  readonly baseDir: string;
}

export async function composeWarden(deps: ComposeDeps): Promise<WardenParts> {
  const toServer: Stage[] = [];
  const toClient: Stage[] = [];
  const observers: PipelineObserver[] = [];
  const readiness: (() => { ok: boolean; reason?: string })[] = [];
  const admission: (() => WardenError | undefined)[] = [];
  const adminRoutes: AdminRoute[] = [];
  const publicRoutes: PublicRoute[] = [];
  const closers: (() => Promise<void>)[] = [];

  // --- audit (issue 6) -------------------------------------------------------------------
  const audited = await createAudit({ config: deps.config.audit, logger: deps.logger, baseDir: deps.baseDir, replicaId: replicaIdFor(deps.config.audit) });
  const audit: AuditPort = audited.port;
  observers.push(audited.observer);
  admission.push(audited.admission);
  readiness.push(audited.readiness);
  closers.push(() => audited.close());

  // --- authn (issue 4) -------------------------------------------------------------------
  // Every HTTP request and WebSocket upgrade is authenticated before any body is read; sessions
  // are bound to their principal on the StateStore; the upstream gets the proxy's own credential.
  const authn = await createAuthn({
    config: deps.config.auth,
    listen: deps.config.listen,
    upstreams: deps.config.upstreams,
    state: deps.state,
    audit,
    logger: deps.logger,
    baseDir: deps.baseDir,
  });
  const authenticator: Authenticator = authn.authenticator;
  const sessionGuard: SessionGuard = authn.sessionGuard;
  const upstreamCredentials: UpstreamCredentials = authn.upstreamCredentials;
  publicRoutes.push(...authn.publicRoutes);
  const tls: TlsListener | undefined = authn.tls; // authn/ owns listen.tls
  closers.push(() => authn.close());

  // --- policy (issue 3) ------------------------------------------------------------------
  // Built-in redaction entity types (data.warden.redaction.types): the default policy redacts all of
  // them minus exemptions (built-in types plus redaction.custom[].type).
  const redactionTypes: readonly string[] = redactionEntityTypes(deps.config.redaction);
  const policy = await createPolicyStages({
    config: deps.config.policy,
    state: deps.state,
    audit,
    logger: deps.logger,
    baseDir: deps.baseDir,
    redactionTypes,
    upstreams: deps.config.upstreams.map((u) => u.name),
  });
  toServer.push(...policy.stages);
  toClient.push(...policy.stages); // before redaction: list replies are filtered first
  adminRoutes.push(...policy.adminRoutes);
  // SIGHUP reloads the policy bundle (a bad one is refused and the last good one stays).
  const reloadPolicy = () => void policy.reload();
  process.on('SIGHUP', reloadPolicy);
  closers.push(async () => {
    process.off('SIGHUP', reloadPolicy);
    await policy.close();
  });

  // --- redaction (issue 5) ---------------------------------------------------------------
  // After policy (it reads the decision's redact list); to_server only with scan_arguments.
  if (deps.config.redaction.enabled) {
    const redaction = createRedactionStage(deps.config.redaction);
    toClient.push(redaction);
    if (redaction.directions.includes('to_server')) toServer.push(redaction);
  }

  return {
    pipeline: new Pipeline({ toServer, toClient }, observers),
    authenticator,
    sessionGuard,
    upstreamCredentials,
    audit,
    readiness,
    admission,
    adminRoutes,
    publicRoutes,
    tls,
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}
