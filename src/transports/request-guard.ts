import type { IncomingHttpHeaders } from 'node:http';
import { WardenError } from '../errors/warden-error.ts';

/**
 * DNS rebinding protection (MCP spec, Streamable HTTP security warning): the Host header must name
 * this proxy, and a browser Origin, when present, must be allowed. Checked before authentication
 * and before any byte goes upstream.
 */
export class RequestGuard {
  readonly #hosts: ReadonlySet<string>;
  readonly #origins: ReadonlySet<string>;
  readonly #anyOrigin: boolean;

  constructor(options: { listenHost: string; allowedHosts: readonly string[]; allowedOrigins: readonly string[] }) {
    const hosts = options.allowedHosts.length > 0 ? options.allowedHosts : ['localhost', '127.0.0.1', '[::1]', '::1', options.listenHost];
    this.#hosts = new Set(hosts.map((h) => h.toLowerCase()));
    this.#origins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
    this.#anyOrigin = this.#origins.has('*');
  }

  /** Returns the refusal, or undefined when the request may proceed. */
  check(headers: IncomingHttpHeaders): WardenError | undefined {
    const host = headers.host;
    if (host === undefined || !this.#hostAllowed(host)) return new WardenError('WARDEN_ERR_HTTP_HOST', { detail: `host ${host ?? '(none)'}` });
    const origin = headers.origin;
    if (origin !== undefined && !this.#anyOrigin && !this.#originAllowed(origin))
      return new WardenError('WARDEN_ERR_HTTP_ORIGIN', { detail: `origin ${origin}` });
    return undefined;
  }

  #hostAllowed(hostHeader: string): boolean {
    const lower = hostHeader.toLowerCase();
    if (this.#hosts.has(lower)) return true;
    return this.#hosts.has(stripPort(lower));
  }

  #originAllowed(origin: string): boolean {
    const lower = origin.toLowerCase().replace(/\/$/, '');
    if (this.#origins.has(lower)) return true;
    if (this.#origins.size > 0) return false;
    // No explicit list: same-host origins only.
    try {
      return this.#hosts.has(new URL(lower).hostname) || this.#hosts.has(`[${new URL(lower).hostname}]`);
    } catch {
      return false;
    }
  }
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
