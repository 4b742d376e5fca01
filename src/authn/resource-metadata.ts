import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { PublicRoute } from '../admin/admin-route.ts';
import type { AuthConfig } from './auth-config.ts';

export const PRM_PATH = '/.well-known/oauth-protected-resource';
const HOST_SHAPE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * The proxy's identity as an OAuth protected resource (MCP authorization spec, RFC 9728, RFC 8707).
 * The resource URL of an upstream is `<origin><upstream path>`; the origin is the configured
 * `auth.resource_base_url`, or else the listener's scheme and the request's Host header (the Host
 * header is checked against the allowed hosts before authentication runs).
 */
export class ResourceIdentity {
  readonly #base: string | undefined;
  readonly #scheme: 'http' | 'https';

  constructor(config: AuthConfig, tls: boolean) {
    this.#base = config.resource_base_url?.replace(/\/+$/, '');
    this.#scheme = tls ? 'https' : 'http';
  }

  /** The origin clients use, or undefined when it cannot be known from this request. */
  origin(headers: IncomingHttpHeaders): string | undefined {
    if (this.#base !== undefined) return this.#base;
    const host = headers.host;
    return host !== undefined && HOST_SHAPE.test(host) ? `${this.#scheme}://${host.toLowerCase()}` : undefined;
  }

  resourceUrl(headers: IncomingHttpHeaders, path: string): string | undefined {
    const origin = this.origin(headers);
    return origin === undefined ? undefined : `${origin}${path === '/' ? '' : path}`;
  }

  metadataUrl(headers: IncomingHttpHeaders, path: string): string | undefined {
    const origin = this.origin(headers);
    return origin === undefined ? undefined : `${origin}${PRM_PATH}${path === '/' ? '' : path}`;
  }
}

/**
 * GET /.well-known/oauth-protected-resource/<upstream path> (and the root document): RFC 9728
 * metadata naming the resource and its authorization servers. The root document names the single
 * upstream's resource when there is one (sidecar), else the origin.
 */
export function protectedResourceRoutes(config: AuthConfig, identity: ResourceIdentity, upstreamPaths: readonly string[]): PublicRoute[] {
  const required = config.jwt?.required_scopes ?? [];
  const scopes = config.scopes_supported ?? (required.length > 0 ? required : undefined);
  const document = (resource: string) =>
    JSON.stringify({
      resource,
      authorization_servers: config.authorization_servers,
      bearer_methods_supported: ['header'],
      ...(scopes === undefined ? {} : { scopes_supported: scopes }),
      ...(config.resource_documentation === undefined ? {} : { resource_documentation: config.resource_documentation }),
      resource_name: 'mcp-warden',
    });
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=300' });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    const suffix = pathname.slice(PRM_PATH.length);
    let resource: string | undefined;
    if (suffix === '' || suffix === '/') {
      resource = upstreamPaths.length === 1 ? identity.resourceUrl(req.headers, upstreamPaths[0]!) : identity.origin(req.headers);
    } else if (upstreamPaths.includes(suffix)) {
      resource = identity.resourceUrl(req.headers, suffix);
    }
    if (resource === undefined) {
      send(res, 404, JSON.stringify({ error: 'not_found' }));
      return;
    }
    send(res, 200, document(resource));
  };
  return [
    { method: 'GET', path: PRM_PATH, handle },
    { method: 'GET', path: `${PRM_PATH}/*`, handle },
  ];
}
