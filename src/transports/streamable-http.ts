import type { IncomingMessage, ServerResponse } from 'node:http';
import { WardenError, isWardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import { allowsBatch, checkMcpHeaders, isStatelessEra } from '../jsonrpc/protocol-version.ts';
import { errorResponse, serialise } from '../jsonrpc/serialise.ts';
import type { ConnectionInfo } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';
import { Correlator } from './correlator.ts';
import { clientResponseHeaders, headerValue, upstreamRequestHeaders } from './header-policy.ts';
import { abortOnEarlyClose, checkJsonBodyHeaders, clientIpOf, readBody, sendJson, sendRefusal } from './http-replies.ts';
import { bytesToForward, refusalReply, type ProcessedBody } from './message-processor.ts';
import type { RouteContext } from './route-context.ts';
import { foreignSessionRefusal } from './session-refusal.ts';
import { SessionTable, type SessionState } from './session-table.ts';
import { relayStream } from './sse-relay.ts';
import { UpstreamHttp, isEventStream, isJson, readUpstreamBody, type UpstreamResponse } from './upstream-http.ts';

/**
 * Streamable HTTP (2025-03-26 … 2026-07-28) for one upstream: POST with JSON or SSE replies, GET
 * server streams, DELETE. Every message in either direction goes through the pipeline; upstream
 * status codes reach the client unchanged.
 */
export class StreamableHttpHandler {
  readonly #route: RouteContext;
  readonly #upstream: UpstreamHttp;
  readonly #upstreamPath: string;
  readonly #sessions: SessionTable;

  constructor(route: RouteContext) {
    this.#route = route;
    // A session this process no longer knows must not keep counting against its owner's cap.
    this.#sessions = new SessionTable(10_000, route.sessionGuard.idleTtlMs, (key) => void route.sessionGuard.release(key).catch(() => {}));
    const url = new URL(route.upstream.url);
    this.#upstreamPath = `${url.pathname}${url.search}`;
    this.#upstream = new UpstreamHttp(route.upstream.name, url.origin, { headersTimeoutMs: route.upstream.timeout_ms });
  }

  async handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    try {
      if (req.method === 'POST') await this.#post(req, res, principal);
      else if (req.method === 'GET' || req.method === 'DELETE') await this.#getOrDelete(req, res, principal, req.method);
      else sendRefusal(res, new WardenError('WARDEN_ERR_HTTP_METHOD'), null, { allow: 'GET, POST, DELETE' });
    } catch (err) {
      if (isWardenError(err)) {
        this.#route.logger.info({ code: err.code, detail: err.detail, upstream: this.#route.upstream.name }, 'request refused');
        sendRefusal(res, err);
      } else if ((err as Error).name !== 'AbortError') {
        this.#route.logger.error({ err, upstream: this.#route.upstream.name }, 'unexpected error in streamable HTTP handler');
        sendRefusal(res, new WardenError('WARDEN_ERR_INTERNAL_ERROR'));
      }
    }
  }

  #connection(req: IncomingMessage, principal: Principal, sessionId: string | undefined, version: string | undefined): ConnectionInfo {
    return {
      transport: 'streamable-http',
      upstream: this.#route.upstream.name,
      clientIp: clientIpOf(req),
      userAgent: headerValue(req.headers, 'user-agent'),
      protocolVersion: version,
      sessionId,
      principal,
    };
  }

  /** Looks up the client's session and checks it belongs to this principal (404 otherwise). */
  async #session(req: IncomingMessage, principal: Principal): Promise<{ id: string | undefined; state: SessionState | undefined }> {
    const id = headerValue(req.headers, 'mcp-session-id');
    if (id === undefined) return { id, state: undefined };
    const key = `${this.#route.upstream.name}:${id}`;
    const state = this.#sessions.get(key);
    if (state === undefined) throw new WardenError('WARDEN_ERR_SESSION_UNKNOWN', { detail: 'session not opened through this mcp-warden' });
    const owner = await this.#route.sessionGuard.ownership(key, principal);
    if (owner === 'foreign') throw foreignSessionRefusal(this.#route, req, principal, id, 'a session');
    if (owner === 'unknown') {
      // The binding expired (idle TTL): the session is nobody's now, never "whoever asks first".
      this.#sessions.delete(key);
      throw new WardenError('WARDEN_ERR_SESSION_UNKNOWN', { detail: 'session binding expired' });
    }
    return { id, state };
  }

  async #post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const headerError = checkJsonBodyHeaders(req);
    if (headerError !== undefined) throw headerError;
    const bytes = await readBody(req, this.#route.maxMessageBytes);
    const session = await this.#session(req, principal);
    const declared = headerValue(req.headers, 'mcp-protocol-version');
    const version = declared ?? session.state?.protocolVersion;
    const connection = this.#connection(req, principal, session.id, version);
    // Per the spec, a server with no other way to know assumes 2025-03-26, where batches exist.
    const parsed = this.#route.processor.parse(bytes, { allowBatch: allowsBatch(version ?? '2025-03-26') });
    if (isStatelessEra(version)) {
      for (const message of parsed.messages) {
        const mismatch = checkMcpHeaders({ method: headerValue(req.headers, 'mcp-method'), name: headerValue(req.headers, 'mcp-name') }, message);
        if (mismatch !== undefined) throw mismatch;
      }
    }
    // Without a session yet (initialize, or the stateless era) the POST gets its own correlator; an
    // initialize that opens a session hands it on, so the reply is paired with its request.
    const correlator = session.state?.correlator ?? new Correlator();
    const body = await this.#route.processor.processParsed(parsed, bytes, 'to_server', connection, correlator);
    const forwarded = body.items.filter((i) => i.outcome.action === 'forward');
    const local = body.items.map(refusalReply).filter((m): m is JsonRpcMessage => m !== undefined);

    if (forwarded.length === 0) {
      this.#answerLocally(res, body, local);
      return;
    }
    const outgoing = body.untouchedRaw ?? (body.batch ? `[${forwarded.map((i) => bytesToForward(i).toString()).join(',')}]` : bytesToForward(forwarded[0]!));
    const outstanding = new Set<string | number>();
    let initialize = false;
    for (const item of forwarded) {
      if (item.ctx.summary.kind === 'request' && item.ctx.summary.id != null) outstanding.add(item.ctx.summary.id);
      if (item.ctx.summary.method === 'initialize') initialize = true;
    }

    const upstream = await this.#upstream.request({
      method: 'POST',
      path: this.#upstreamPath,
      headers: { ...upstreamRequestHeaders(req.headers, this.#route.credentials.headersFor(this.#route.upstream.name)), 'content-type': 'application/json' },
      body: outgoing,
      signal: abortOnEarlyClose(res),
    });

    let state = session.state;
    const newSessionId = headerValue(upstream.headers, 'mcp-session-id');
    if (initialize && newSessionId !== undefined && state === undefined) {
      const key = `${this.#route.upstream.name}:${newSessionId}`;
      try {
        await this.#route.sessionGuard.bind(key, principal);
      } catch (err) {
        // Over the per-principal session cap: the upstream must not keep a session nobody can use.
        upstream.body.resume();
        this.#endUpstreamSession(newSessionId);
        throw err;
      }
      state = this.#sessions.open(key, undefined, correlator);
      connection.sessionId = newSessionId;
    }
    await this.#relayPostResponse(upstream, res, { connection, correlator, batch: body.batch, local, outstanding, state, principal });
  }

  /** Everything was refused or answered by mcp-warden itself: nothing reaches the upstream. */
  #answerLocally(res: ServerResponse, body: ProcessedBody, local: JsonRpcMessage[]): void {
    if (local.length === 0) {
      // Only notifications or responses, all refused: an HTTP error status, as the spec allows.
      const first = body.items.find((i) => i.outcome.action === 'reject');
      const error = first?.outcome.action === 'reject' ? first.outcome.error : new WardenError('WARDEN_ERR_INTERNAL_ERROR');
      sendJson(res, error.httpStatus >= 400 ? error.httpStatus : 403, serialise(errorResponse(null, error)));
      return;
    }
    sendJson(res, 200, body.batch ? `[${local.map(serialise).join(',')}]` : serialise(local[0]!));
  }

  async #relayPostResponse(
    upstream: UpstreamResponse,
    res: ServerResponse,
    o: {
      connection: ConnectionInfo;
      correlator: Correlator;
      batch: boolean;
      local: JsonRpcMessage[];
      outstanding: Set<string | number>;
      state: SessionState | undefined;
      principal: Principal;
    },
  ): Promise<void> {
    const headers = clientResponseHeaders(upstream.headers);
    if (isEventStream(upstream.headers)) {
      res.writeHead(upstream.status, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      await this.#stream(upstream, res, o.connection, o.correlator, o.principal, { prelude: o.local, outstanding: o.outstanding });
      return;
    }
    if (isJson(upstream.headers)) {
      let bytes: Buffer;
      try {
        bytes = await readUpstreamBody(upstream.body, this.#route.maxMessageBytes, this.#route.upstream.name, this.#route.upstream.timeout_ms);
      } catch (err) {
        if (!isWardenError(err)) throw err;
        this.#refuseOutstanding(res, o.outstanding, err, o.batch, o.local);
        return;
      }
      let reply;
      try {
        reply = await this.#route.processor.processBytes(bytes, 'to_client', o.connection, o.correlator, { allowBatch: o.batch });
      } catch (err) {
        if (!isWardenError(err)) throw err;
        this.#refuseOutstanding(res, o.outstanding, new WardenError('WARDEN_ERR_UPSTREAM_PROTOCOL', { detail: err.detail }), o.batch, o.local);
        return;
      }
      this.#captureVersion(reply, o.state);
      const out: string[] = [];
      for (const item of reply.items) {
        if (item.outcome.action === 'forward') out.push(bytesToForward(item).toString());
        else if (item.ctx.summary.kind === 'response') out.push(serialise(errorResponse(item.ctx.summary.id ?? null, item.outcome.error)));
      }
      for (const message of o.local) out.push(serialise(message));
      const body = reply.untouchedRaw !== undefined && o.local.length === 0 ? reply.untouchedRaw : o.batch || out.length > 1 ? `[${out.join(',')}]` : (out[0] ?? '');
      sendJson(res, upstream.status, body, headers);
      return;
    }
    // No body worth inspecting (202/204) or a body we cannot inspect: never pass it through.
    upstream.body.resume();
    if (upstream.status >= 400) {
      sendJson(res, upstream.status, serialise(errorResponse(null, new WardenError('WARDEN_ERR_UPSTREAM_HTTP_STATUS', { data: { upstream_status: upstream.status } }))), headers);
    } else if (o.local.length > 0) {
      sendJson(res, 200, o.batch ? `[${o.local.map(serialise).join(',')}]` : serialise(o.local[0]!), headers);
    } else if (upstream.status === 202 || upstream.status === 204 || (upstream.status < 300 && o.outstanding.size === 0)) {
      // Nothing awaits an answer (a DELETE, notifications only): the status is all there is to
      // relay. Any body the upstream sent anyway was discarded above, never passed on uninspected.
      const { 'content-type': _noBody, ...statusOnly } = headers;
      res.writeHead(upstream.status, statusOnly);
      res.end();
    } else {
      this.#refuseOutstanding(res, o.outstanding, new WardenError('WARDEN_ERR_UPSTREAM_PROTOCOL', { detail: `content-type ${String(upstream.headers['content-type'])}` }), o.batch, o.local);
    }
  }

  /** The upstream's reply could not be inspected: every forwarded request gets an error instead. */
  #refuseOutstanding(res: ServerResponse, outstanding: Set<string | number>, error: WardenError, batch: boolean, local: JsonRpcMessage[]): void {
    const replies = [...[...outstanding].map((id) => errorResponse(id, error)), ...local];
    if (replies.length === 0) sendRefusal(res, error);
    else sendJson(res, 200, batch || replies.length > 1 ? `[${replies.map(serialise).join(',')}]` : serialise(replies[0]!));
  }

  #captureVersion(reply: ProcessedBody, state: SessionState | undefined): void {
    if (state === undefined || state.protocolVersion !== undefined) return;
    for (const item of reply.items) {
      if (item.ctx.request?.summary.method === 'initialize' && item.outcome.action === 'forward') {
        const result = (item.outcome.message as { result?: { protocolVersion?: unknown } }).result;
        if (typeof result?.protocolVersion === 'string') state.protocolVersion = result.protocolVersion;
      }
    }
  }

  async #stream(
    upstream: UpstreamResponse,
    res: ServerResponse,
    connection: ConnectionInfo,
    correlator: Correlator,
    principal: Principal,
    extra: { prelude?: JsonRpcMessage[]; outstanding?: Set<string | number> },
  ): Promise<void> {
    await relayStream(upstream, res, principal, {
      processor: this.#route.processor,
      connection,
      correlator,
      maxEventBytes: this.#route.maxMessageBytes,
      allowBatch: allowsBatch(connection.protocolVersion),
      logger: this.#route.logger,
      answerUpstream: (reply) => this.#answerUpstream(connection, reply),
      ...extra,
    });
  }

  /** Sends our refusal of a server→client request back to the upstream, so that it does not wait. */
  #answerUpstream(connection: ConnectionInfo, reply: JsonRpcMessage): void {
    const headers: Record<string, string> = {
      ...this.#route.credentials.headersFor(this.#route.upstream.name),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (connection.sessionId !== undefined) headers['mcp-session-id'] = connection.sessionId;
    if (connection.protocolVersion !== undefined) headers['mcp-protocol-version'] = connection.protocolVersion;
    this.#upstream
      // Nobody waits on this POST: bound it, body included, so a silent upstream cannot pile them up.
      .request({ method: 'POST', path: this.#upstreamPath, headers, body: serialise(reply), signal: AbortSignal.timeout(this.#route.upstream.timeout_ms) })
      .then((r) => r.body.resume())
      .catch((err: unknown) => this.#route.logger.warn({ err: String(err) }, 'could not deliver a refusal to the upstream'));
  }

  #endUpstreamSession(sessionId: string): void {
    const headers = { ...this.#route.credentials.headersFor(this.#route.upstream.name), 'mcp-session-id': sessionId };
    this.#upstream
      .request({ method: 'DELETE', path: this.#upstreamPath, headers, signal: AbortSignal.timeout(this.#route.upstream.timeout_ms) })
      .then((r) => r.body.resume())
      .catch((err: unknown) => this.#route.logger.warn({ err: String(err) }, 'could not end a refused session at the upstream'));
  }

  async #getOrDelete(req: IncomingMessage, res: ServerResponse, principal: Principal, method: 'GET' | 'DELETE'): Promise<void> {
    const session = await this.#session(req, principal);
    const version = headerValue(req.headers, 'mcp-protocol-version') ?? session.state?.protocolVersion;
    const connection = this.#connection(req, principal, session.id, version);
    const upstream = await this.#upstream.request({
      method,
      path: this.#upstreamPath,
      headers: upstreamRequestHeaders(req.headers, this.#route.credentials.headersFor(this.#route.upstream.name)),
      signal: abortOnEarlyClose(res),
    });
    const headers = clientResponseHeaders(upstream.headers);
    if (method === 'GET' && upstream.status === 200 && isEventStream(upstream.headers)) {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      await this.#stream(upstream, res, connection, session.state?.correlator ?? new Correlator(64), principal, {});
      return;
    }
    if (method === 'DELETE' && upstream.status >= 200 && upstream.status < 300 && session.id !== undefined) {
      const key = `${this.#route.upstream.name}:${session.id}`;
      this.#sessions.delete(key);
      await this.#route.sessionGuard.release(key);
    }
    await this.#relayPostResponse(upstream, res, { connection, correlator: new Correlator(8), batch: false, local: [], outstanding: new Set(), state: undefined, principal });
  }

  async close(): Promise<void> {
    await this.#upstream.destroy();
  }
}
