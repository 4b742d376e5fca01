import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { findOpa, runOpa } from './opa-binary.ts';
import { definesPatternIndex, PATTERN_INDEX_ENTRYPOINT } from './pattern-index.ts';

export interface BuildOptions {
  /** Directory of .rego (and optional data.json) files. */
  readonly dir: string;
  readonly out: string;
  readonly entrypoints: readonly string[];
  /** Defaults to a digest of the sources, so the same policy always has the same revision. */
  readonly revision?: string;
  /** A PEM private key (file) to sign the bundle with (OPA's .signatures.json format). */
  readonly signingKey?: string;
  readonly signingAlg?: string;
  readonly opaBin?: string;
}

/** Digest of every .rego and .json file below dir (names and contents), tests excluded. */
export async function sourceRevision(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await listFiles(dir)).filter((f) => (f.endsWith('.rego') && !f.endsWith('_test.rego')) || f.endsWith('.json')).sort();
  for (const file of files) {
    hash.update(relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return `sha256-${hash.digest('hex').slice(0, 16)}`;
}

async function regoSourcesDefineIndex(dir: string): Promise<boolean> {
  const files = (await listFiles(dir)).filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'));
  return definesPatternIndex(await Promise.all(files.map((f) => readFile(f, 'utf8'))));
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * `opa build -b -t wasm` of a policy directory into a standard bundle (.tar.gz with policy.wasm,
 * data.json and a .manifest carrying the revision), tests left out. Paths in the bundle are
 * relative to `dir`. Returns the revision.
 */
export async function buildBundle(options: BuildOptions): Promise<string> {
  const opa = findOpa(options.opaBin);
  const revision = options.revision ?? (await sourceRevision(options.dir));
  const args = ['build', '-b', '-t', 'wasm', '--ignore', '*_test.rego', '--revision', revision, '-o', resolve(options.out)];
  for (const e of options.entrypoints) args.push('-e', e);
  // The default policy's load-time index is an entrypoint of its own (see pattern-index.ts).
  if (!options.entrypoints.includes(PATTERN_INDEX_ENTRYPOINT) && (await regoSourcesDefineIndex(options.dir))) args.push('-e', PATTERN_INDEX_ENTRYPOINT);
  if (options.signingKey !== undefined) {
    args.push('--signing-key', resolve(options.signingKey), '--signing-alg', options.signingAlg ?? 'RS256');
  }
  args.push('.');
  await runOpa(opa, args, { cwd: options.dir });
  return revision;
}
