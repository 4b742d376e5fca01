import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';

const NAME = /^[A-Za-z0-9_.-]+$/;
const fileSchema = z.object({ secrets: z.record(z.string().regex(NAME), z.string().startsWith('wsec:v1:')).default({}) }).strict();

/** A secrets file: `secrets: {NAME: wsec:v1:…}` (YAML or JSON). Safe to commit: values are sealed. */
export function readSecretsFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const document: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  const parsed = fileSchema.safeParse(document ?? {});
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.secrets;
}

export function writeSecretsFile(file: string, secrets: Record<string, string>): void {
  const sorted = Object.fromEntries(Object.entries(secrets).sort(([a], [b]) => a.localeCompare(b)));
  const text = file.endsWith('.json') ? `${JSON.stringify({ secrets: sorted }, null, 2)}\n` : toYaml({ secrets: sorted });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function isSecretName(name: string): boolean {
  return NAME.test(name);
}
