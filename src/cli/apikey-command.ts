import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { generateApiKey, hashApiKey } from '../authn/api-key-format.ts';
import { parseKeysFile } from '../authn/api-key-store.ts';
import { apiKeyEntrySchema, type ApiKeyEntry } from '../authn/auth-config.ts';

const HELP = `mcp-warden apikey — API keys for auth.mode api_key (only their SHA-256 is stored)

  mcp-warden apikey create --name NAME [--roles a,b] [--scopes x,y] [--expires ISO-8601] [--file keys.yaml]
      prints the key ONCE, and the entry to put under auth.api_key.keys (or appends it to --file)
  mcp-warden apikey revoke --name NAME --file keys.yaml
      marks the key revoked (a running mcp-warden re-reads the file within a second)
  mcp-warden apikey list --file keys.yaml
`;

const list = (v: string | undefined) => (v === undefined ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

function readKeys(file: string): ApiKeyEntry[] {
  return existsSync(file) ? parseKeysFile(readFileSync(file, 'utf8'), file) : [];
}

function writeKeys(file: string, keys: ApiKeyEntry[]): void {
  const text = file.endsWith('.json') ? `${JSON.stringify({ keys }, null, 2)}\n` : toYaml({ keys });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file); // atomic: the proxy never reads half a file
}

export async function runApikeyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, roles: { type: 'string' }, scopes: { type: 'string' }, expires: { type: 'string' }, file: { type: 'string' } },
    strict: true,
  });
  if (sub === 'create') {
    if (values.name === undefined) {
      process.stderr.write('mcp-warden apikey create: --name is required\n');
      return 2;
    }
    const key = generateApiKey();
    const parsed = apiKeyEntrySchema.safeParse({ name: values.name, hash: hashApiKey(key), roles: list(values.roles), scopes: list(values.scopes), ...(values.expires === undefined ? {} : { expires_at: values.expires }) });
    if (!parsed.success) {
      process.stderr.write(`mcp-warden apikey create: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
      return 2;
    }
    const entry = parsed.data;
    if (values.file !== undefined) {
      const keys = readKeys(values.file);
      if (keys.some((k) => k.name === entry.name && !k.revoked)) {
        process.stderr.write(`mcp-warden apikey create: ${values.file} already has an active key named ${entry.name} (revoke it first)\n`);
        return 2;
      }
      writeKeys(values.file, [...keys, entry]);
    }
    const snippet = toYaml([{ name: entry.name, hash: entry.hash, roles: entry.roles, ...(entry.scopes.length > 0 ? { scopes: entry.scopes } : {}), ...(entry.expires_at === undefined ? {} : { expires_at: entry.expires_at }) }]);
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `\nThe key above is shown once; mcp-warden stores only its hash. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.\n` +
        (values.file !== undefined ? `Added to ${values.file}.\n` : `Add this under auth.api_key.keys:\n${snippet.replace(/^/gm, '  ')}`),
    );
    return 0;
  }
  if (sub === 'revoke' || sub === 'list') {
    if (values.file === undefined || (sub === 'revoke' && values.name === undefined)) {
      process.stderr.write(`mcp-warden apikey ${sub}: ${sub === 'revoke' ? '--name and ' : ''}--file are required\n`);
      return 2;
    }
    const keys = readKeys(values.file);
    if (sub === 'list') {
      for (const k of keys) process.stdout.write(`${k.name}\t${k.revoked ? 'revoked' : 'active'}\troles=${k.roles.join(',')}\t${k.hash.slice(0, 19)}…\n`);
      return 0;
    }
    const matching = keys.filter((k) => k.name === values.name && !k.revoked);
    if (matching.length === 0) {
      process.stderr.write(`mcp-warden apikey revoke: no active key named ${values.name} in ${values.file}\n`);
      return 1;
    }
    writeKeys(values.file, keys.map((k) => (k.name === values.name ? { ...k, revoked: true } : k)));
    process.stderr.write(`revoked ${matching.length} key(s) named ${values.name}\n`);
    return 0;
  }
  process.stdout.write(HELP);
  return sub === undefined || sub === '--help' || sub === 'help' ? 0 : 2;
}
