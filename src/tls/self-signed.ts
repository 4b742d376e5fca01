import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSelfSignedCertificate } from './x509-builder.ts';

export interface SelfSignedSpec {
  readonly dir: string;
  readonly hostnames: readonly string[];
  readonly ips: readonly string[];
  readonly validDays: number;
}

export interface SelfSignedFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** True when this call generated a new pair. */
  readonly created: boolean;
  readonly fingerprint256: string;
  readonly validTo: string;
}

const CERT = 'server.crt';
const KEY = 'server.key';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes via a temporary file and rename, so a watcher never reads half a file. Mode 0600. */
async function writePrivate(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Generates a new pair into `dir` (0700), replacing any existing one. */
export async function rotateSelfSigned(spec: SelfSignedSpec): Promise<SelfSignedFiles> {
  await mkdir(spec.dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { keyPem, certPem } = createSelfSignedCertificate(privateKey, { commonName: spec.hostnames[0] ?? 'mcp-warden', hostnames: spec.hostnames, ips: spec.ips, validDays: spec.validDays });
  const certFile = join(spec.dir, CERT);
  const keyFile = join(spec.dir, KEY);
  // Key first: a reader that sees the new key with the old certificate fails to build a context
  // and keeps the previous one until the certificate lands a moment later.
  await writePrivate(keyFile, keyPem);
  await writePrivate(certFile, certPem);
  const cert = new X509Certificate(certPem);
  return { certFile, keyFile, created: true, fingerprint256: cert.fingerprint256, validTo: cert.validTo };
}

/**
 * Reuses the pair in `dir` when it is there, still valid for at least a day and covers the
 * configured names; otherwise generates one. Refuses to reuse a key file others can read.
 */
export async function ensureSelfSigned(spec: SelfSignedSpec, now = Date.now()): Promise<SelfSignedFiles> {
  const certFile = join(spec.dir, CERT);
  const keyFile = join(spec.dir, KEY);
  if ((await exists(certFile)) && (await exists(keyFile))) {
    const mode = (await stat(keyFile)).mode & 0o077;
    if (mode !== 0) throw new Error(`${keyFile} is readable by group or others (mode ${((await stat(keyFile)).mode & 0o777).toString(8)}); chmod 600 it or remove it`);
    const cert = new X509Certificate(await readFile(certFile));
    const fresh = Date.parse(cert.validTo) - now > 86_400_000;
    const covers = spec.hostnames.every((h) => cert.checkHost(h, { wildcards: false }) !== undefined) && spec.ips.every((ip) => cert.checkIP(ip) !== undefined);
    if (fresh && covers) return { certFile, keyFile, created: false, fingerprint256: cert.fingerprint256, validTo: cert.validTo };
  }
  return rotateSelfSigned(spec);
}
