import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { peerOf } from '../authn/mtls-identity.ts';
import type { WardenParts } from '../cli/compose.ts';
import type { WardenConfig } from '../config/schema.ts';
import { WardenError } from '../errors/warden-error.ts';
import { metricsRegistry } from '../metrics/registry.ts';
import { refusalsTotal } from '../metrics/proxy-metrics.ts';
import type { AuthRequest } from '../pipeline/authenticator.ts';
import type { Principal } from '../pipeline/principal.ts';
import { clientIpOf, sendJson, sendRefusal } from './http-replies.ts';
import { LegacySseHandler } from './legacy-sse.ts';
import { MessageProcessor } from './message-processor.ts';
import { RequestGuard } from './request-guard.ts';
import type { RouteContext } from './route-context.ts';
import { StreamableHttpHandler } from './streamable-http.ts';
import { probeUpstream } from './upstream-probe.ts';
import { WebSocketHandler, upgradeRefusal } from './websocket.ts';

type Route =
  | { kind: 'streamable-http'; name: string; handler: StreamableHttpHandler }
  | { kind: 'sse'; name: string; handler: LegacySseHandler }
  | { kind: 'websocket'; name: string; handler: WebSocketHandler };

/**
 * The MCP listener: one path per upstream (edge) or a single one (sidecar), plus /healthz,
 * /readyz and /metrics. Order for every MCP request: Host/Origin check → authentication →
 * admission (e.g. audit spool full) → transport handler → pipeline.
 */
export class WardenServer {
  readonly #config: WardenConfig;
  readonly #parts: WardenParts;
  readonly #logger: Logger;
  readonly #server: Server;
  readonly #routes: Route[] = [];
  /** Path → route, built once: legacy SSE has two paths (its stream and its message endpoint). */
  readonly #byPath = new Map<string, Route>();
  readonly #guard: RequestGuard;
  #inFlight = 0;
  #closing = false;

  constructor(config: WardenConfig, parts: WardenParts, logger: Logger) {
    this.#config = config;
    this.#parts = parts;
    this.#logger = logger;
    this.#guard = new RequestGuard({ listenHost: config.listen.host, allowedHosts: config.http.allowed_hosts, allowedOrigins: config.http.allowed_origins });
    const processor = new MessageProcessor(parts.pipeline, { maxDepth: config.limits.max_json_depth }, logger);
    for (const upstream of config.upstreams) {
      const route: RouteContext = {
        upstream,
        processor,
        sessionGuard: parts.sessionGuard,
        credentials: parts.upstreamCredentials,
        audit: parts.audit,
        logger: logger.child({ upstream: upstream.name }),
        maxMessageBytes: config.limits.max_message_bytes,
      };
      if (upstream.transport === 'streamable-http') this.#routes.push({ kind: 'streamable-http', name: upstream.name, handler: new StreamableHttpHandler(route) });
      else if (upstream.transport === 'sse') this.#routes.push({ kind: 'sse', name: upstream.name, handler: new LegacySseHandler(route) });
      else this.#routes.push({ kind: 'websocket', name: upstream.name, handler: new WebSocketHandler(route) });
      const added = this.#routes.at(-1)!;
      for (const path of added.kind === 'sse' ? added.handler.paths : [upstream.path]) this.#byPath.set(path, added);
    }
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.#onRequest(req, res);
    this.#server = parts.tls === undefined ? createHttpServer(onRequest) : createHttpsServer(parts.tls.options, onRequest);
    if (parts.tls !== undefined) {
      const https = this.#server as ReturnType<typeof createHttpsServer>;
      parts.tls.onChange((options) => https.setSecureContext(options));
    }
    this.#server.on('upgrade', (req, socket, head) => void this.#onUpgrade(req, socket, head));
    this.#server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    });
    // Long-lived SSE streams must not be cut by Node's default request timeout.
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 30_000;
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#config.listen.port, this.#config.listen.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  #route(pathname: string): Route | undefined {
    return this.#byPath.get(pathname);
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight++;
    res.once('close', () => this.#inFlight--);
    try {
      const pathname = pathOf(req.url);
      if (req.method === 'GET' && (await this.#ops(pathname, res))) return;
      const publicRoute = this.#parts.publicRoutes.find((r) => r.method === req.method && (r.path === pathname || (r.path.endsWith('/*') && pathname.startsWith(r.path.slice(0, -1)))));
      if (publicRoute !== undefined) {
        await publicRoute.handle(req, res);
        return;
      }
      const route = this.#route(pathname);
      if (route === undefined || route.kind === 'websocket') {
        sendRefusal(res, new WardenError(route === undefined ? 'WARDEN_ERR_HTTP_NOT_FOUND' : 'WARDEN_ERR_HTTP_METHOD'));
        return;
      }
      const principal = await this.#admit(req, route.name, (error, headers) => {
        refusalsTotal.inc({ transport: route.kind, upstream: route.name, code: error.code });
        sendRefusal(res, error, null, headers);
      });
      if (principal === undefined) return;
      if (route.kind === 'streamable-http') await route.handler.handle(req, res, principal);
      else await route.handler.handle(req, res, pathname, principal);
    } catch (err) {
      this.#logger.error({ err }, 'unexpected error handling a request');
      if (!res.headersSent) sendRefusal(res, new WardenError('WARDEN_ERR_INTERNAL_ERROR'));
      else res.destroy();
    }
  }

  /** Host/Origin, shutdown, authentication and admission; calls `refuse` and returns undefined on refusal. */
  async #admit(req: IncomingMessage, upstream: string, refuse: (error: WardenError, headers?: Record<string, string>) => void): Promise<Principal | undefined> {
    if (this.#closing) return void refuse(new WardenError('WARDEN_ERR_HTTP_SHUTTING_DOWN'));
    const guardError = this.#guard.check(req.headers);
    if (guardError !== undefined) {
      this.#logger.warn({ code: guardError.code, detail: guardError.detail, client_ip: clientIpOf(req) }, 'request refused by Host/Origin check');
      return void refuse(guardError);
    }
    const authRequest: AuthRequest = {
      headers: req.headers,
      url: req.url ?? '/',
      clientIp: clientIpOf(req),
      upstream,
      ...peerOf(req.socket),
    };
    const auth = await this.#parts.authenticator.authenticate(authRequest);
    if (!auth.ok) return void refuse(auth.error, { ...auth.headers });
    for (const check of this.#parts.admission) {
      const error = check();
      if (error !== undefined) return void refuse(error);
    }
    return auth.principal;
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const route = this.#route(pathOf(req.url));
    if (route?.kind !== 'websocket') {
      socket.end(upgradeRefusal(new WardenError('WARDEN_ERR_HTTP_NOT_FOUND')));
      return;
    }
    try {
      const principal = await this.#admit(req, route.name, (error, headers) => {
        refusalsTotal.inc({ transport: 'websocket', upstream: route.name, code: error.code });
        socket.end(upgradeRefusal(error, headers));
      });
      if (principal !== undefined) route.handler.upgrade(req, socket, head, principal);
    } catch (err) {
      this.#logger.error({ err }, 'unexpected error handling a WebSocket upgrade');
      socket.end(upgradeRefusal(new WardenError('WARDEN_ERR_INTERNAL_ERROR')));
    }
  }

  async #ops(pathname: string, res: ServerResponse): Promise<boolean> {
    if (pathname === '/healthz') {
      sendJson(res, 200, JSON.stringify({ status: 'ok' }));
      return true;
    }
    if (pathname === '/readyz') {
      const checks: Record<string, string> = {};
      let ready = !this.#closing;
      if (this.#closing) checks.server = 'shutting down';
      await Promise.all(
        this.#config.upstreams.map(async (u) => {
          const reachable = await probeUpstream(u.url, 1_000);
          checks[`upstream:${u.name}`] = reachable ? 'ok' : 'unreachable';
          if (!reachable) ready = false;
        }),
      );
      for (const check of this.#parts.readiness) {
        const result = check();
        if (!result.ok) {
          ready = false;
          checks.readiness = result.reason ?? 'not ready';
        }
      }
      sendJson(res, ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
      return true;
    }
    if (pathname === '/metrics') {
      const text = await metricsRegistry.metrics();
      res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    }
    return false;
  }

  /**
   * Graceful shutdown: stop accepting, let in-flight exchanges finish within `graceMs`, then close
   * streams (SSE ends, WebSockets get 1001) and whatever is left.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    // Streams never finish by themselves: close them now, then wait for plain exchanges.
    await Promise.all(this.#routes.filter((r) => r.kind !== 'streamable-http').map((r) => r.handler.close()));
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await Promise.all(this.#routes.filter((r) => r.kind === 'streamable-http').map((r) => r.handler.close()));
    this.#server.closeAllConnections();
    await closed;
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}
