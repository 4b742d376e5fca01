import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { peerOf } from '../authn/mtls-identity.ts';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Authenticator } from '../pipeline/authenticator.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { AdminRoute } from './admin-route.ts';
import { ADMIN_TOKEN_PRINCIPAL, type AdminToken } from './admin-token.ts';

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly AdminRoute[];
  /** The same authenticator as the MCP path (JWT, API keys, mTLS); its principal needs role admin. */
  readonly authenticator: Authenticator;
  /** Optional bearer token (by hash) that stands for an admin principal, for deployments without JWT. */
  readonly token: AdminToken | undefined;
  readonly logger: Logger;
  readonly audit: AuditPort;
  readonly maxBodyBytes?: number;
}

export interface RunningAdminServer {
  readonly address: AddressInfo;
  /** e.g. http://127.0.0.1:9090 */
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
}

/**
 * The admin listener: its own address (loopback by default), never the MCP path. Every request is
 * authenticated first (before routing, so an anonymous caller learns nothing, not even which routes
 * exist) and served only to a principal with role admin. The anonymous principal of `auth.mode:
 * none` is never an admin: without JWT or API keys, configure the admin token.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger.error({ err, path: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function authenticate(req: IncomingMessage): Promise<{ principal: Principal } | { status: number; headers: Record<string, string> }> {
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    if (options.token !== undefined && bearer !== undefined && options.token.matches(bearer)) return { principal: ADMIN_TOKEN_PRINCIPAL };
    const result = await options.authenticator.authenticate({
      headers: req.headers,
      url: req.url ?? '/',
      clientIp: req.socket.remoteAddress ?? '',
      upstream: 'admin',
      ...peerOf(req.socket),
    });
    if (!result.ok) return { status: 401, headers: { ...result.headers } };
    if (result.principal.auth === 'anonymous') return { status: 401, headers: { 'www-authenticate': 'Bearer realm="mcp-warden-admin"' } };
    if (!result.principal.roles.includes('admin')) return { status: 403, headers: {} };
    return { principal: result.principal };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(hostHeader) && hostHeader !== options.host) return send(res, 403, { error: 'Host header is not allowed' });
    const auth = await authenticate(req);
    if (!('principal' in auth)) {
      options.audit.record({
        type: 'authn.failure',
        outcome: 'failure',
        message: auth.status === 401 ? 'admin API refused: no admin credentials' : 'admin API refused: principal is not an admin',
        clientIp: req.socket.remoteAddress ?? '',
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
        code: auth.status === 401 ? 'WARDEN_ERR_AUTHN_REQUIRED' : 'WARDEN_ERR_AUTHN_INSUFFICIENT_SCOPE',
        details: { surface: 'admin', method: req.method, path: new URL(req.url ?? '/', 'http://admin').pathname },
      });
      return send(res, auth.status, { error: auth.status === 401 ? 'admin credentials required' : 'an admin principal is required' }, auth.headers);
    }
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const matching = options.routes.filter((r) => r.path === path || (r.path.endsWith('/*') && path.startsWith(r.path.slice(0, -1))));
    if (matching.length === 0) return send(res, 404, { error: 'not found' });
    const route = matching.find((r) => r.method === req.method);
    if (route === undefined) return send(res, 405, { error: 'method not allowed' }, { allow: [...new Set(matching.map((r) => r.method))].join(', ') });
    let body: unknown;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) return send(res, 413, { error: 'body too large' }, { connection: 'close' });
      chunks.push(chunk as Buffer);
    }
    if (size > 0) {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'Content-Type must be application/json' });
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: 'body is not valid JSON' });
      }
    }
    options.logger.info({ method: req.method, path, admin: auth.principal.id, auth: auth.principal.auth }, 'admin request');
    await route.handle(req, res, auth.principal, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  options.logger.info({ admin: `http://${host}:${address.port}`, routes: options.routes.length, token: options.token !== undefined }, 'admin API listening');
  return {
    address,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
