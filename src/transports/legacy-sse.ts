import type { IncomingMessage, ServerResponse } from 'node:http';
import { legacyMessagePath } from '../config/served-paths.ts';
import { WardenError, isWardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import { serialise } from '../jsonrpc/serialise.ts';
import { serialiseSseEvent } from '../jsonrpc/sse.ts';
import type { ConnectionInfo } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';
import { Correlator } from './correlator.ts';
import { clientResponseHeaders, headerValue, upstreamRequestHeaders } from './header-policy.ts';
import { abortOnEarlyClose, checkJsonBodyHeaders, clientIpOf, readBody, sendRefusal } from './http-replies.ts';
import { bytesToForward, refusalReply } from './message-processor.ts';
import type { RouteContext } from './route-context.ts';
import { foreignSessionRefusal } from './session-refusal.ts';
import { relayStream, write } from './sse-relay.ts';
import { UpstreamHttp, isEventStream } from './upstream-http.ts';

interface LegacySession {
  readonly upstreamMessagePath: string;
  readonly correlator: Correlator;
  readonly connection: ConnectionInfo;
  readonly client: ServerResponse;
}

/**
 * Legacy HTTP+SSE (2024-11-05) for one upstream. `GET <path>` opens the upstream stream; its
 * `endpoint` event is rewritten to `<path>/message?sessionId=…` on this proxy; POSTs there are
 * inspected and forwarded to the upstream's own endpoint, and replies arrive on the stream, where
 * each event is inspected before the client sees it. The session lives as long as the stream,
 * in this process (scale-out needs sticky routing for this transport).
 */
export class LegacySseHandler {
  readonly #route: RouteContext;
  readonly #upstream: UpstreamHttp;
  readonly #streamUrl: URL;
  readonly #messagePath: string;
  readonly #sessions = new Map<string, LegacySession>();

  constructor(route: RouteContext) {
    this.#route = route;
    this.#streamUrl = new URL(route.upstream.url);
    this.#messagePath = legacyMessagePath(route.upstream.path);
    this.#upstream = new UpstreamHttp(route.upstream.name, this.#streamUrl.origin, { headersTimeoutMs: route.upstream.timeout_ms });
  }

  /** The paths this handler serves: the stream, and the endpoint its `endpoint` event names. */
  get paths(): readonly string[] {
    return [this.#route.upstream.path, this.#messagePath];
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, principal: Principal): Promise<void> {
    try {
      if (pathname === this.#messagePath) {
        if (req.method !== 'POST') throw new WardenError('WARDEN_ERR_HTTP_METHOD');
        await this.#post(req, res, principal);
      } else {
        if (req.method !== 'GET') throw new WardenError('WARDEN_ERR_HTTP_METHOD');
        await this.#open(req, res, principal);
      }
    } catch (err) {
      if (isWardenError(err)) {
        this.#route.logger.info({ code: err.code, detail: err.detail, upstream: this.#route.upstream.name }, 'request refused');
        if (!res.headersSent) sendRefusal(res, err);
        else res.end();
      } else if ((err as Error).name !== 'AbortError') {
        this.#route.logger.error({ err, upstream: this.#route.upstream.name }, 'unexpected error in legacy SSE handler');
        if (!res.headersSent) sendRefusal(res, new WardenError('WARDEN_ERR_INTERNAL_ERROR'));
        else res.end();
      }
    }
  }

  async #open(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    // Over the per-principal session cap: a clear 429 before the stream opens (bind below decides).
    await this.#route.sessionGuard.admit(this.#route.upstream.name, principal);
    const upstream = await this.#upstream.request({
      method: 'GET',
      path: `${this.#streamUrl.pathname}${this.#streamUrl.search}`,
      headers: { ...upstreamRequestHeaders(req.headers, this.#route.credentials.headersFor(this.#route.upstream.name)), accept: 'text/event-stream' },
      signal: abortOnEarlyClose(res),
    });
    if (upstream.status !== 200 || !isEventStream(upstream.headers)) {
      upstream.body.resume();
      throw new WardenError('WARDEN_ERR_UPSTREAM_HTTP_STATUS', { detail: `GET stream answered ${upstream.status}`, data: { upstream_status: upstream.status } });
    }
    const connection: ConnectionInfo = {
      transport: 'sse',
      upstream: this.#route.upstream.name,
      clientIp: clientIpOf(req),
      userAgent: headerValue(req.headers, 'user-agent'),
      protocolVersion: '2024-11-05',
      sessionId: undefined,
      principal,
    };
    const correlator = new Correlator();
    let sessionKey: string | undefined;
    res.writeHead(200, { ...clientResponseHeaders(upstream.headers), 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    try {
      await relayStream(upstream, res, principal, {
        processor: this.#route.processor,
        connection,
        correlator,
        maxEventBytes: this.#route.maxMessageBytes,
        allowBatch: false,
        logger: this.#route.logger,
        answerUpstream: (reply) => void this.#forward(connection, sessionKey, Buffer.from(serialise(reply))).catch(() => {}),
        onEndpointEvent: async (data) => {
          // One stream, one session: a second endpoint would orphan the first session's entry and
          // binding, and leave the client unsure which id its POSTs belong to. End the stream.
          if (sessionKey !== undefined) throw new WardenError('WARDEN_ERR_UPSTREAM_PROTOCOL', { detail: 'a second endpoint event on one legacy SSE stream' });
          // The upstream names its POST endpoint, relative to its stream URL; clients must use ours.
          const target = new URL(data, this.#streamUrl);
          const sessionId = target.searchParams.get('sessionId') ?? undefined;
          if (sessionId === undefined || target.origin !== this.#streamUrl.origin) {
            throw new WardenError('WARDEN_ERR_UPSTREAM_PROTOCOL', { detail: `unusable endpoint event ${data}` });
          }
          connection.sessionId = sessionId;
          sessionKey = `${this.#route.upstream.name}:${sessionId}`;
          // Bound before the client learns the id, so that no POST can arrive ahead of its owner.
          await this.#route.sessionGuard.bind(sessionKey, principal, { connection: true });
          this.#sessions.set(sessionKey, { upstreamMessagePath: `${target.pathname}${target.search}`, correlator, connection, client: res });
          return `${this.#messagePath}?sessionId=${encodeURIComponent(sessionId)}`;
        },
      });
    } finally {
      if (sessionKey !== undefined) {
        this.#sessions.delete(sessionKey);
        await this.#route.sessionGuard.release(sessionKey);
      }
    }
  }

  async #post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const sessionId = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId');
    const key = sessionId === null ? undefined : `${this.#route.upstream.name}:${sessionId}`;
    const session = key === undefined ? undefined : this.#sessions.get(key);
    if (session === undefined || key === undefined) throw new WardenError('WARDEN_ERR_SESSION_UNKNOWN', { detail: 'no open legacy SSE stream for this sessionId' });
    const owner = await this.#route.sessionGuard.ownership(key, principal);
    if (owner === 'foreign') throw foreignSessionRefusal(this.#route, req, principal, sessionId ?? undefined, 'a legacy SSE sessionId');
    // No live binding for a live stream: never "whoever asks first".
    if (owner === 'unknown') throw new WardenError('WARDEN_ERR_SESSION_UNKNOWN', { detail: 'session binding expired' });
    const headerError = checkJsonBodyHeaders(req);
    if (headerError !== undefined) throw headerError;
    const bytes = await readBody(req, this.#route.maxMessageBytes);
    const connection = { ...session.connection, principal };
    const body = await this.#route.processor.processBytes(bytes, 'to_server', connection, session.correlator, { allowBatch: false });
    const item = body.items[0]!;
    const refusal = refusalReply(item);
    if (item.outcome.action === 'reject') {
      // In this transport replies travel on the stream; the POST itself is accepted.
      if (refusal === undefined) {
        sendRefusal(res, item.outcome.error);
        return;
      }
      await this.#toStream(session, refusal);
      res.writeHead(202).end();
      return;
    }
    const status = await this.#forward(connection, key, bytesToForward(item));
    if (status >= 400) sendRefusal(res, new WardenError('WARDEN_ERR_UPSTREAM_HTTP_STATUS', { data: { upstream_status: status } }));
    else {
      res.writeHead(status);
      res.end();
    }
  }

  async #forward(connection: ConnectionInfo, key: string | undefined, body: string | Buffer): Promise<number> {
    const session = key === undefined ? undefined : this.#sessions.get(key);
    if (session === undefined) throw new WardenError('WARDEN_ERR_SESSION_UNKNOWN');
    const upstream = await this.#upstream.request({
      method: 'POST',
      path: session.upstreamMessagePath,
      headers: { ...this.#route.credentials.headersFor(connection.upstream), 'content-type': 'application/json' },
      body,
      // The reply travels on the stream; this body is discarded. Bound it so a trickling one
      // cannot hold a pooled connection forever.
      signal: AbortSignal.timeout(this.#route.upstream.timeout_ms),
    });
    upstream.body.resume();
    return upstream.status;
  }

  async #toStream(session: LegacySession, message: JsonRpcMessage): Promise<void> {
    await write(session.client, serialiseSseEvent({ event: 'message', data: serialise(message) }));
  }

  async close(): Promise<void> {
    for (const session of this.#sessions.values()) session.client.end();
    await this.#upstream.destroy();
  }
}
