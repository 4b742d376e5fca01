import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type WardenConfig } from './schema.ts';
import { substituteReferences, type ReferenceResolver } from './substitute.ts';

/** A config that cannot be used. The message names the file and every bad key; the CLI exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(top level)' : out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const key = formatPath(issue.path);
      if (issue.code === 'unrecognized_keys') return `  ${key}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      return `  ${key}: ${issue.message}`;
    })
    .join('\n');
}

/** Parses and validates a config document that is already in memory. */
export function parseConfig(text: string, source: string, resolvers: Record<string, ReferenceResolver> = {}): WardenConfig {
  let document: unknown;
  try {
    document = extname(source) === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new ConfigError(`${source}: cannot parse: ${(err as Error).message}`);
  }
  try {
    document = substituteReferences(document, resolvers);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  const result = configSchema.safeParse(document);
  if (!result.success) throw new ConfigError(`${source}: invalid configuration\n${formatIssues(result.error.issues)}`);
  return result.data;
}

export async function loadConfig(file: string, resolvers: Record<string, ReferenceResolver> = {}): Promise<WardenConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, file, resolvers);
}
