import { readTarGz } from './tar-reader.ts';
import { SIGNATURES_FILE, verifyBundleSignature, type VerificationKey } from './bundle-signature.ts';

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** A bundle that passed parsing and (when configured) signature verification; not yet evaluated. */
export interface PolicyBundle {
  readonly revision: string;
  readonly wasm: Buffer;
  /** data.json files merged at their paths (OPA bundle layout). */
  readonly data: Record<string, unknown>;
  /** Where it came from (a path or URL), for logs and the admin status. */
  readonly source: string;
  /** Key id that signed it, when it was signed and verified. */
  readonly signedBy: string | undefined;
}

export interface BundleVerification {
  readonly required: boolean;
  readonly keys: readonly VerificationKey[];
  readonly scope: string | undefined;
}

/**
 * Turns the bytes of an OPA bundle (.tar.gz) into a PolicyBundle. Signed bundles are verified when
 * keys are configured; an unsigned bundle is refused when signing is required. The wasm module is
 * the one the manifest names for `entrypoint`, else `policy.wasm`.
 */
export async function parseBundle(
  bytes: Buffer,
  options: { maxBytes: number; verification: BundleVerification; entrypoint: string; source: string },
): Promise<PolicyBundle> {
  const files = readTarGz(bytes, options.maxBytes);
  const { verification } = options;
  let signedBy: string | undefined;
  if (files.has(SIGNATURES_FILE) && verification.keys.length > 0) {
    signedBy = (await verifyBundleSignature(files, verification.keys, verification.scope)).keyId;
  } else if (verification.required) {
    throw new Error('bundle is not signed (no .signatures.json) and policy.signing.required is true');
  }
  const manifest = parseJsonFile(files, '.manifest') as { revision?: unknown; wasm?: unknown } | undefined;
  const revision = manifest !== undefined && typeof manifest.revision === 'string' ? manifest.revision : '';
  let module = 'policy.wasm';
  if (manifest !== undefined && Array.isArray(manifest.wasm)) {
    const entry = (manifest.wasm as { entrypoint?: unknown; module?: unknown }[]).find((w) => w.entrypoint === options.entrypoint);
    if (entry === undefined) throw new Error(`bundle manifest has no wasm module for entrypoint ${options.entrypoint}`);
    if (typeof entry.module === 'string') module = entry.module.replace(/^\/+/, '');
  }
  const wasm = files.get(module);
  if (wasm === undefined) throw new Error(`bundle has no ${module} (build it with opa build -t wasm)`);
  if (!wasm.subarray(0, 4).equals(WASM_MAGIC)) throw new Error(`bundle ${module} is not a WebAssembly module`);
  const data: Record<string, unknown> = {};
  for (const name of files.keys()) {
    if (name !== 'data.json' && !name.endsWith('/data.json')) continue;
    const value = parseJsonFile(files, name);
    const path = name.split('/').slice(0, -1);
    mergeAt(data, path, value, name);
  }
  return { revision, wasm, data, source: options.source, signedBy };
}

function parseJsonFile(files: ReadonlyMap<string, Buffer>, name: string): unknown {
  const raw = files.get(name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Error(`bundle file ${name} is not valid JSON`);
  }
}

function mergeAt(target: Record<string, unknown>, path: readonly string[], value: unknown, name: string): void {
  if (path.length === 0) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`bundle file ${name} must hold an object`);
    for (const [k, v] of Object.entries(value)) {
      if (k in target) throw new Error(`bundle data key ${k} is defined twice`);
      target[k] = v;
    }
    return;
  }
  const [head, ...rest] = path as [string, ...string[]];
  const next = (target[head] ??= {}) as Record<string, unknown>;
  if (typeof next !== 'object' || Array.isArray(next)) throw new Error(`bundle data at ${head} is not an object`);
  mergeAt(next, rest, value, name);
}
