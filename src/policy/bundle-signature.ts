import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importSPKI, type CryptoKey, type KeyObject } from 'jose';
import { canonicalJson } from './canonical-json.ts';

export const SIGNATURES_FILE = '.signatures.json';

export interface VerificationKey {
  readonly id: string;
  readonly algorithm: string;
  readonly key: CryptoKey | KeyObject;
}

export async function importVerificationKey(id: string, algorithm: string, pem: string): Promise<VerificationKey> {
  return { id, algorithm, key: await importSPKI(pem, algorithm) };
}

const HASHES: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** OPA hashes JSON files (and the manifest) over their canonical encoding, everything else over its bytes. */
export function bundleFileHash(name: string, content: Buffer, algorithm: string): string {
  const hash = HASHES[algorithm];
  if (hash === undefined) throw new Error(`unsupported hash algorithm ${algorithm}`);
  const isJson = name.endsWith('.json') || name === '.manifest' || name.endsWith('/.manifest');
  const bytes = isJson ? Buffer.from(canonicalJson(JSON.parse(content.toString('utf8')))) : content;
  return createHash(hash).update(bytes).digest('hex');
}

/**
 * Verifies OPA's bundle signature format: `.signatures.json` holds one JWS whose payload lists
 * every file of the bundle with its hash. The bundle is accepted only if the JWS verifies against
 * a configured key (by `kid`), the algorithm is that key's, and the file list is exactly the
 * bundle's files with matching hashes (no file added, removed or changed). Throws on any failure.
 */
export async function verifyBundleSignature(files: ReadonlyMap<string, Buffer>, keys: readonly VerificationKey[], scope?: string): Promise<{ keyId: string }> {
  const raw = files.get(SIGNATURES_FILE);
  if (raw === undefined) throw new Error('bundle is not signed (no .signatures.json)');
  let signatures: unknown;
  try {
    signatures = (JSON.parse(raw.toString('utf8')) as { signatures?: unknown }).signatures;
  } catch {
    throw new Error('.signatures.json is not JSON');
  }
  if (!Array.isArray(signatures) || signatures.length !== 1 || typeof signatures[0] !== 'string')
    throw new Error('.signatures.json must hold exactly one signature');
  const jws = signatures[0];
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new Error('bundle signature is not a JWS');
  }
  const unverified = decodePayloadUnverified(jws);
  const keyId = typeof header.kid === 'string' ? header.kid : typeof unverified.keyid === 'string' ? unverified.keyid : 'default';
  const key = keys.find((k) => k.id === keyId);
  if (key === undefined) throw new Error(`bundle is signed with unknown key id ${keyId}`);
  if (header.alg !== key.algorithm) throw new Error(`bundle signature algorithm ${String(header.alg)} is not the one configured for key ${keyId}`);
  let payload: { files?: unknown; scope?: unknown };
  try {
    const verified = await compactVerify(jws, key.key, { algorithms: [key.algorithm] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as typeof payload;
  } catch (err) {
    throw new Error(`bundle signature does not verify: ${(err as Error).message}`);
  }
  if (scope !== undefined && payload.scope !== scope) throw new Error('bundle signature scope does not match');
  if (!Array.isArray(payload.files)) throw new Error('bundle signature lists no files');
  const listed = new Map<string, { hash: string; algorithm: string }>();
  for (const f of payload.files as unknown[]) {
    const entry = f as { name?: unknown; hash?: unknown; algorithm?: unknown };
    if (typeof entry.name !== 'string' || typeof entry.hash !== 'string') throw new Error('bundle signature has a malformed file entry');
    const name = entry.name.replace(/^\/+/, '');
    if (listed.has(name)) throw new Error(`bundle signature lists ${name} twice`);
    listed.set(name, { hash: entry.hash.toLowerCase(), algorithm: typeof entry.algorithm === 'string' ? entry.algorithm : 'SHA-256' });
  }
  for (const [name, content] of files) {
    if (name === SIGNATURES_FILE) continue;
    const expected = listed.get(name);
    if (expected === undefined) throw new Error(`bundle file ${name} is not covered by the signature`);
    let actual: string;
    try {
      actual = bundleFileHash(name, content, expected.algorithm);
    } catch (err) {
      throw new Error(`bundle file ${name} cannot be hashed: ${(err as Error).message}`);
    }
    if (actual !== expected.hash) throw new Error(`bundle file ${name} does not match its signed hash`);
    listed.delete(name);
  }
  if (listed.size > 0) throw new Error(`bundle is missing signed file(s): ${[...listed.keys()].join(', ')}`);
  return { keyId };
}

function decodePayloadUnverified(jws: string): { keyid?: unknown } {
  try {
    const part = jws.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { keyid?: unknown };
  } catch {
    return {};
  }
}
