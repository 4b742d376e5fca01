import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { UpstreamCredentials } from '../pipeline/authenticator.ts';
import { FilePoller } from '../tls/file-poller.ts';
import type { UpstreamCredentialConfig } from './upstream-credential-config.ts';

type Source = () => string | undefined;

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function clean(value: string, what: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || /[\r\n\0]/.test(trimmed)) throw new Error(`${what}: empty, or contains a line break`);
  return trimmed;
}

/**
 * The credential the proxy presents to each upstream (never the client's: the transports forward
 * an allowlist of headers only). `headersFor` is on the hot path and synchronous, so a file source
 * is read once and then re-read in the background when it changes; until a re-read succeeds the
 * last good value stays in use.
 */
export class FileAndEnvUpstreamCredentials implements UpstreamCredentials {
  readonly #headers = new Map<string, { name: string; scheme: string | undefined; source: Source }>();
  readonly #closers: (() => void)[] = [];

  constructor(upstreams: readonly { name: string; auth?: UpstreamCredentialConfig | undefined }[], baseDir: string, logger: Logger) {
    for (const upstream of upstreams) {
      const auth = upstream.auth;
      if (auth === undefined) continue;
      let source: Source;
      if (auth.value !== undefined) {
        const value = clean(auth.value, `upstreams.${upstream.name}.auth.value`);
        source = () => value;
      } else if (auth.value_env !== undefined) {
        const name = auth.value_env;
        if (process.env[name] === undefined) throw new Error(`upstreams.${upstream.name}.auth.value_env: ${name} is not set`);
        source = () => {
          const v = process.env[name];
          return v === undefined || v.trim() === '' || /[\r\n\0]/.test(v) ? undefined : v.trim();
        };
      } else {
        const file = resolve(baseDir, auth.value_file!);
        // Missing at start-up is a configuration error: the proxy must not call the upstream without its credential.
        const poller = new FilePoller(file);
        let current = clean(readFileSync(file, 'utf8'), file);
        poller.start(1_000, () => {
          try {
            current = clean(readFileSync(file, 'utf8'), file);
            logger.info({ upstream: upstream.name }, 'upstream credential file re-read');
          } catch (err) {
            logger.error({ upstream: upstream.name, err: (err as Error).message }, 'upstream credential file could not be re-read; keeping the previous value');
          }
        });
        this.#closers.push(() => poller.stop());
        source = () => current;
      }
      this.#headers.set(upstream.name, { name: auth.header.toLowerCase(), scheme: auth.scheme, source });
    }
  }

  headersFor(upstream: string): Readonly<Record<string, string>> {
    const entry = this.#headers.get(upstream);
    if (entry === undefined) return EMPTY;
    const value = entry.source();
    if (value === undefined) return EMPTY;
    return { [entry.name]: entry.scheme === undefined ? value : `${entry.scheme} ${value}` };
  }

  close(): void {
    for (const close of this.#closers) close();
  }
}
