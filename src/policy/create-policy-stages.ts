import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AdminRoute } from '../admin/admin-route.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Stage } from '../pipeline/stage.ts';
import type { StateStore } from '../state/state-store.ts';
import { BundleLoader } from './bundle-loader.ts';
import { importVerificationKey, type VerificationKey } from './bundle-signature.ts';
import { createBundleSource } from './bundle-source.ts';
import { EditMode } from './edit-mode.ts';
import { DEFAULT_ENTRYPOINT, type PolicyConfig } from './policy-config.ts';
import { policyAdminRoutes } from './policy-admin-routes.ts';
import { PolicyEngine } from './policy-engine.ts';
import { PolicyStage } from './policy-stage.ts';
import { ToolCatalogue } from './tool-catalogue.ts';
import { ToolClassifier } from './tool-classifier.ts';

export interface PolicyDeps {
  readonly config: PolicyConfig;
  readonly state: StateStore;
  readonly audit: AuditPort;
  readonly logger: Logger;
  /** Directory of the config file; relative bundle and key paths resolve against it. */
  readonly baseDir: string;
  /** Built-in redaction entity types (data.warden.redaction.types). */
  readonly redactionTypes: readonly string[];
  /** Names of the configured upstreams (edit mode is per upstream). */
  readonly upstreams: readonly string[];
}

export interface PolicyParts {
  /** One stage for both directions; put it after authn and before redaction. */
  readonly stages: Stage[];
  readonly adminRoutes: AdminRoute[];
  /** Reload the bundle now (the SIGHUP hook). Never throws; a bad bundle is refused and logged. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

async function loadKeys(config: PolicyConfig, baseDir: string): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  for (const k of config.signing.keys) {
    const pem = k.key ?? (await readFile(isAbsolute(k.file as string) ? (k.file as string) : resolve(baseDir, k.file as string), 'utf8'));
    try {
      keys.push(await importVerificationKey(k.id, k.algorithm, pem));
    } catch (err) {
      throw new Error(`policy.signing.keys[${k.id}]: not a ${k.algorithm} public key (PEM, SPKI): ${(err as Error).message}`);
    }
  }
  return keys;
}

/**
 * Builds the decision point: loads the bundle (refusing to start without a valid one), starts the
 * watcher or poller, and returns the pipeline stage and the admin routes.
 */
export async function createPolicyStages(deps: PolicyDeps): Promise<PolicyParts> {
  const { config, logger } = deps;
  const log = logger.child({ component: 'policy' });
  const keys = await loadKeys(config, deps.baseDir);
  const verification = { required: config.signing.required, keys, scope: config.signing.scope };
  const source = await createBundleSource(config, deps.baseDir, verification);
  const engine = new PolicyEngine({
    data: config.data,
    redactionTypes: deps.redactionTypes,
    entrypoint: config.entrypoint,
    cache: { enabled: config.decision_cache.enabled, maxEntries: config.decision_cache.max_entries },
    keyOmitsIds: config.entrypoint === DEFAULT_ENTRYPOINT,
  });
  const loader = new BundleLoader(source, engine, deps.audit, log);
  try {
    await loader.start();
  } catch (err) {
    await loader.close();
    throw err;
  }
  if (config.watch) loader.watch();
  loader.poll(config.polling.interval_seconds * 1000, config.polling.jitter_seconds * 1000);
  if (config.data.edit_mode === true) log.warn('policy.data.edit_mode is true: edit mode is permanently on for every upstream');
  const editMode = new EditMode({
    state: deps.state,
    audit: deps.audit,
    logger: log,
    upstreams: deps.upstreams,
    defaultMinutes: config.edit_mode.default_minutes,
    maxMinutes: config.edit_mode.max_minutes,
  });
  const catalogue = new ToolCatalogue(deps.state, deps.audit, log);
  const classifier = new ToolClassifier(config.data);
  const stage = new PolicyStage({ engine, catalogue, classifier, editMode, logger: log, serverNotificationParams: config.server_notification_params });
  return {
    stages: [stage],
    adminRoutes: policyAdminRoutes({ editMode, engine, loader, catalogue }),
    reload: async () => {
      await loader.reload('sighup');
    },
    close: async () => {
      editMode.close();
      await loader.close();
    },
  };
}
