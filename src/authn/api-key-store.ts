import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { apiKeyEntrySchema, type ApiKeyConfig, type ApiKeyEntry } from './auth-config.ts';
import { hashApiKey, isApiKeyShaped } from './api-key-format.ts';
import type { FailureReason } from './failure-reason.ts';
import type { Principal } from '../pipeline/principal.ts';
import { FilePoller } from '../tls/file-poller.ts';

const keysFileSchema = z.union([z.array(apiKeyEntrySchema), z.object({ keys: z.array(apiKeyEntrySchema) }).strict()]);

export type ApiKeyOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: FailureReason; readonly detail: string; readonly keyName?: string };

/** Parses a keys file (YAML or JSON: a list, or `keys: [...]`). Throws with the problem named. */
export function parseKeysFile(text: string, source: string): ApiKeyEntry[] {
  const document: unknown = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  const parsed = keysFileSchema.safeParse(document ?? []);
  if (!parsed.success) throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.keys;
}

/**
 * The API keys the proxy accepts, indexed by hash: keys from the config plus those of a keys file,
 * re-read when the file changes (so `mcp-warden apikey revoke` takes effect without a restart). A
 * hash listed as revoked anywhere stays revoked.
 */
export class ApiKeyStore {
  readonly #configKeys: readonly ApiKeyEntry[];
  readonly #file: string | undefined;
  readonly #logger: Logger;
  readonly #poller: FilePoller | undefined;
  #byHash = new Map<string, ApiKeyEntry>();

  constructor(config: ApiKeyConfig, baseDir: string, logger: Logger) {
    this.#configKeys = config.keys;
    this.#file = config.file === undefined ? undefined : resolve(baseDir, config.file);
    this.#logger = logger;
    // A missing or invalid keys file at start-up is a configuration error: fail, do not run keyless.
    this.#poller = this.#file === undefined ? undefined : new FilePoller(this.#file); // baseline before the read
    this.#index(this.#file === undefined ? [] : parseKeysFile(readFileSync(this.#file, 'utf8'), this.#file));
    this.#poller?.start(1_000, () => this.#reload());
  }

  #reload(): void {
    try {
      this.#index(parseKeysFile(readFileSync(this.#file!, 'utf8'), this.#file!));
      this.#logger.info({ file: this.#file, keys: this.#byHash.size }, 'API keys file reloaded');
    } catch (err) {
      // Keep the last good set: a half-written file must not revoke everyone or un-revoke anyone.
      this.#logger.error({ file: this.#file, err: (err as Error).message }, 'API keys file could not be reloaded; keeping the previous keys');
    }
  }

  #index(fileKeys: readonly ApiKeyEntry[]): void {
    const next = new Map<string, ApiKeyEntry>();
    for (const entry of [...this.#configKeys, ...fileKeys]) {
      const previous = next.get(entry.hash);
      next.set(entry.hash, previous?.revoked === true ? previous : entry);
    }
    this.#byHash = next;
  }

  get size(): number {
    return this.#byHash.size;
  }

  verify(key: string, now = Date.now()): ApiKeyOutcome {
    if (!isApiKeyShaped(key)) return { ok: false, reason: 'malformed', detail: 'not an mcp-warden API key' };
    const entry = this.#byHash.get(hashApiKey(key));
    if (entry === undefined) return { ok: false, reason: 'unknown_api_key', detail: 'no such API key' };
    if (entry.revoked) return { ok: false, reason: 'revoked', detail: `API key ${entry.name} is revoked`, keyName: entry.name };
    const expiresAt = entry.expires_at === undefined ? undefined : Date.parse(entry.expires_at) / 1000;
    if (expiresAt !== undefined && expiresAt * 1000 <= now) return { ok: false, reason: 'expired', detail: `API key ${entry.name} expired`, keyName: entry.name };
    return {
      ok: true,
      principal: {
        id: entry.name,
        auth: 'api_key',
        roles: entry.roles,
        scopes: entry.scopes,
        claims: {},
        ...(expiresAt === undefined ? {} : { expiresAt }),
      },
    };
  }

  close(): void {
    this.#poller?.stop();
  }
}
