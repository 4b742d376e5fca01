import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import type { PolicyConfig } from './policy-config.ts';
import { parseBundle, type BundleVerification, type PolicyBundle } from './bundle.ts';
import { buildBundle } from './bundle-build.ts';

export type SourceKind = 'directory' | 'file' | 'http';

/** Where bundles come from. `fetch` returns undefined when the bundle has not changed (HTTP 304). */
export interface BundleSource {
  readonly kind: SourceKind;
  /** A path or URL (with any credentials stripped), for logs and status. */
  readonly location: string;
  fetch(): Promise<PolicyBundle | undefined>;
  /** Called once the last fetched bundle is active (the HTTP source then sends its ETag). */
  accepted(): void;
  close(): Promise<void>;
}

export function createBundleSource(config: PolicyConfig, baseDir: string, verification: BundleVerification): Promise<BundleSource> | BundleSource {
  const options = { maxBytes: config.polling.max_bytes, verification, entrypoint: config.entrypoint };
  if (/^https?:\/\//i.test(config.bundle)) return new HttpBundleSource(config, baseDir, options);
  const path = isAbsolute(config.bundle) ? config.bundle : resolve(baseDir, config.bundle);
  return stat(path).then(
    (s) => {
      if (s.isDirectory()) {
        if (verification.required) throw new Error(`policy.bundle ${path} is a directory of .rego, which cannot be signed; policy.signing.required needs a signed bundle file or server`);
        return new DirectoryBundleSource(path, config, options);
      }
      return new FileBundleSource(path, options);
    },
    (err: NodeJS.ErrnoException) => {
      throw new Error(`policy.bundle ${path}: ${err.code ?? err.message}`);
    },
  );
}

interface ParseOptions {
  readonly maxBytes: number;
  readonly verification: BundleVerification;
  readonly entrypoint: string;
}

/** A directory of .rego compiled with `opa build -t wasm` each time it is (re)loaded. */
class DirectoryBundleSource implements BundleSource {
  readonly kind = 'directory' as const;
  readonly location: string;
  readonly #config: PolicyConfig;
  readonly #options: ParseOptions;

  constructor(dir: string, config: PolicyConfig, options: ParseOptions) {
    this.location = dir;
    this.#config = config;
    this.#options = options;
  }

  async fetch(): Promise<PolicyBundle> {
    const tmp = await mkdtemp(join(tmpdir(), 'mcp-warden-bundle-'));
    try {
      const out = join(tmp, 'bundle.tar.gz');
      await buildBundle({ dir: this.location, out, entrypoints: [this.#config.entrypoint], ...(this.#config.opa_bin ? { opaBin: this.#config.opa_bin } : {}) });
      return await parseBundle(await readFile(out), { ...this.#options, source: this.location });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  accepted(): void {}
  async close(): Promise<void> {}
}

class FileBundleSource implements BundleSource {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly #options: ParseOptions;

  constructor(file: string, options: ParseOptions) {
    this.location = file;
    this.#options = options;
  }

  async fetch(): Promise<PolicyBundle> {
    const s = await stat(this.location);
    if (s.size > this.#options.maxBytes) throw new Error(`bundle ${this.location} is larger than ${this.#options.maxBytes} bytes`);
    return parseBundle(await readFile(this.location), { ...this.#options, source: this.location });
  }

  accepted(): void {}
  async close(): Promise<void> {}
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An OPA bundle server: GET with If-None-Match, 304 means unchanged, size and time bounded. */
class HttpBundleSource implements BundleSource {
  readonly kind = 'http' as const;
  readonly location: string;
  readonly #url: URL;
  readonly #config: PolicyConfig;
  readonly #options: ParseOptions;
  readonly #baseDir: string;
  #agent: Agent | undefined;
  #etag: string | undefined;
  #candidateEtag: string | undefined;

  constructor(config: PolicyConfig, baseDir: string, options: ParseOptions) {
    this.#url = new URL(config.bundle);
    if (this.#url.protocol === 'http:' && !(config.polling.allow_insecure_http && LOOPBACK.has(this.#url.hostname)))
      throw new Error('policy.bundle must be an https URL (plain http is accepted only on loopback with policy.polling.allow_insecure_http)');
    const shown = new URL(this.#url);
    shown.username = '';
    shown.password = '';
    this.location = shown.toString();
    this.#config = config;
    this.#options = options;
    this.#baseDir = baseDir;
  }

  async #dispatcher(): Promise<Agent> {
    if (this.#agent === undefined) {
      const caFile = this.#config.polling.ca_file;
      const ca = caFile === undefined ? undefined : await readFile(isAbsolute(caFile) ? caFile : resolve(this.#baseDir, caFile), 'utf8');
      this.#agent = new Agent({ connect: ca === undefined ? {} : { ca }, connections: 2 });
    }
    return this.#agent;
  }

  async fetch(): Promise<PolicyBundle | undefined> {
    const { timeout_ms: timeoutMs, headers: extra } = this.#config.polling;
    const headers: Record<string, string> = { ...extra, accept: 'application/gzip, application/octet-stream' };
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await request(this.#url, { method: 'GET', headers, signal, dispatcher: await this.#dispatcher(), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode === 304) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`bundle server answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (declared > this.#options.maxBytes) {
      res.body.destroy();
      throw new Error(`bundle server sent ${declared} bytes, more than the limit of ${this.#options.maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.#options.maxBytes) {
        res.body.destroy();
        throw new Error(`bundle server sent more than the limit of ${this.#options.maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    const etag = res.headers.etag;
    this.#candidateEtag = typeof etag === 'string' ? etag : undefined;
    return parseBundle(Buffer.concat(chunks), { ...this.#options, source: this.location });
  }

  accepted(): void {
    this.#etag = this.#candidateEtag;
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }
}
