import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ReferenceResolver } from '../config/substitute.ts';
import { open } from './secret-box.ts';
import { loadSecretKey } from './secret-key.ts';
import { readSecretsFile } from './secrets-file.ts';

export const SECRETS_FILE_ENV = 'WARDEN_SECRETS_FILE';
export const DEFAULT_SECRETS_FILE = 'secrets.enc.yaml';

/**
 * The `${secret:NAME}` resolver for `loadConfig(file, { secret: … })`. The secrets file and the key
 * are only read when the config first references a secret, so a config without secrets needs
 * neither. Any problem (no file, no key, wrong key, unknown name) is an error naming the secret,
 * never an empty value.
 */
export function createSecretResolver(options: { file: string; env?: NodeJS.ProcessEnv }): ReferenceResolver {
  let cache: { secrets: Record<string, string>; key: Buffer } | undefined;
  return (name) => {
    cache ??= { secrets: readSecretsFile(options.file), key: loadSecretKey(options.env) };
    const sealed = cache.secrets[name];
    if (sealed === undefined) throw new Error(`\${secret:${name}}: not in ${options.file} (add it with: mcp-warden secret encrypt --name ${name} --file ${options.file})`);
    return open(name, sealed, cache.key);
  };
}

/**
 * Resolvers for the CLI: the secrets file is `WARDEN_SECRETS_FILE`, else `secrets.enc.yaml` next to
 * the config file. Usage in cli/main.ts: `loadConfig(file, secretResolvers(file))`.
 */
export function secretResolvers(configFile: string, env: NodeJS.ProcessEnv = process.env): Record<string, ReferenceResolver> {
  const explicit = env[SECRETS_FILE_ENV];
  const file = explicit !== undefined && explicit !== '' ? resolve(explicit) : join(dirname(resolve(configFile)), DEFAULT_SECRETS_FILE);
  if (explicit === undefined && !existsSync(file)) {
    return { secret: (name) => { throw new Error(`\${secret:${name}}: no secrets file (${file} does not exist; set ${SECRETS_FILE_ENV})`); } };
  }
  return { secret: createSecretResolver({ file, env }) };
}
