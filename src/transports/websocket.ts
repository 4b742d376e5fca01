import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { WardenError, isWardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import { errorResponse, serialise } from '../jsonrpc/serialise.ts';
import { openStreams, upstreamErrorsTotal } from '../metrics/proxy-metrics.ts';
import type { ConnectionInfo, Direction } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';
import { Correlator } from './correlator.ts';
import { headerValue } from './header-policy.ts';
import { clientIpOf } from './http-replies.ts';
import { bytesToForward } from './message-processor.ts';
import type { RouteContext } from './route-context.ts';
import { endAtExpiry } from './stream-expiry.ts';
import { WebSocketFlow } from './websocket-flow.ts';

const SUBPROTOCOL = 'mcp';
const HEARTBEAT_MS = 30_000;

/**
 * WebSocket (subprotocol `mcp`) for one upstream. mcp-warden terminates the client's socket and
 * opens its own to the upstream, so every frame is a parsed JSON-RPC message in the pipeline.
 * Frames are processed strictly in order per direction. A dead peer (no pong within a heartbeat)
 * on either side closes the other; close codes are carried across where the protocol allows.
 */
export class WebSocketHandler {
  readonly #route: RouteContext;
  readonly #server: WebSocketServer;
  readonly #live = new Set<WebSocket>();

  constructor(route: RouteContext) {
    this.#route = route;
    this.#server = new WebSocketServer({
      noServer: true,
      maxPayload: route.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
  }

  /** Called after the server checked Host/Origin and authenticated the upgrade request. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): void {
    // Over the per-principal session cap: a clear 429 before anything is opened upstream.
    this.#route.sessionGuard.admit(this.#route.upstream.name, principal).then(
      () => this.#connect(req, socket, head, principal),
      (err: unknown) => {
        socket.end(upgradeRefusal(isWardenError(err) ? err : new WardenError('WARDEN_ERR_INTERNAL_ERROR')));
      },
    );
  }

  #connect(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): void {
    const offered = (headerValue(req.headers, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
    const upstreamSocket = new WebSocket(this.#route.upstream.url, offered.includes(SUBPROTOCOL) ? [SUBPROTOCOL] : [], {
      headers: { ...this.#route.credentials.headersFor(this.#route.upstream.name) },
      maxPayload: this.#route.maxMessageBytes,
      perMessageDeflate: false,
      handshakeTimeout: this.#route.upstream.timeout_ms,
    });
    const refuse = (status: number, text: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    socket.once('close', () => {
      if (upstreamSocket.readyState === WebSocket.CONNECTING) upstreamSocket.terminate();
    });
    upstreamSocket.once('error', (err) => {
      upstreamErrorsTotal.inc({ upstream: this.#route.upstream.name, kind: 'connect' });
      this.#route.logger.warn({ upstream: this.#route.upstream.name, err: err.message }, 'upstream WebSocket failed to open');
      refuse(502, 'Bad Gateway');
    });
    upstreamSocket.once('unexpected-response', (_r, response) => {
      upstreamErrorsTotal.inc({ upstream: this.#route.upstream.name, kind: 'handshake' });
      refuse(response.statusCode === 404 ? 404 : 502, response.statusCode === 404 ? 'Not Found' : 'Bad Gateway');
      upstreamSocket.terminate();
    });
    upstreamSocket.once('open', () => {
      upstreamSocket.removeAllListeners('error');
      upstreamSocket.on('error', () => upstreamSocket.terminate());
      let bridged = false;
      this.#server.handleUpgrade(req, socket, head, (client) => {
        bridged = true;
        this.#bridge(req, client, upstreamSocket, principal);
      });
      // An invalid client handshake is answered 400 by ws without calling back (synchronously, as
      // no verifyClient is set): the upstream socket opened for it must not stay open.
      if (!bridged) upstreamSocket.terminate();
    });
  }

  #bridge(req: IncomingMessage, client: WebSocket, upstream: WebSocket, principal: Principal): void {
    const connectionId = `ws-${crypto.randomUUID()}`;
    const connection: ConnectionInfo = {
      transport: 'websocket',
      upstream: this.#route.upstream.name,
      clientIp: clientIpOf(req),
      userAgent: headerValue(req.headers, 'user-agent'),
      protocolVersion: undefined,
      sessionId: connectionId,
      principal,
    };
    const sessionKey = `${this.#route.upstream.name}:${connectionId}`;
    // The binding lives as long as the connection; over the cap (a race past admit) closes it.
    // Frames wait for it (the relay chains start from it), and so does its release: a release that
    // ran before a slow bind (a shared StateStore) would leave a binding nobody ever releases.
    const bound = this.#route.sessionGuard.bind(sessionKey, principal, { connection: true }).catch((err: unknown) => closeBoth(1008, isWardenError(err) ? err.code : 'session refused'));
    const correlator = new Correlator();
    const labels = { transport: 'websocket', upstream: this.#route.upstream.name };
    openStreams.inc(labels);
    this.#live.add(client);

    let closed = false;
    const closeBoth = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      cancelExpiry();
      for (const ws of [client, upstream]) {
        if (ws.readyState === WebSocket.OPEN) ws.close(sendableCode(code), reason.slice(0, 120));
        // A peer that never answers the close handshake is cut off.
        setTimeout(() => ws.terminate(), 5_000).unref();
      }
      openStreams.dec(labels);
      this.#live.delete(client);
      void bound.then(() => this.#route.sessionGuard.release(sessionKey)).catch(() => {});
    };
    const cancelExpiry = endAtExpiry(principal, () => closeBoth(1008, 'credential expired'));

    // A bug in relaying must close the connection (fail closed), never crash the process or
    // leave the chain rejected so that later frames silently stop flowing.
    const failed = (err: unknown) => {
      this.#route.logger.error({ err, upstream: this.#route.upstream.name }, 'WebSocket relay failed; closing the connection');
      closeBoth(1011, 'internal error');
    };
    // Up to four messages of the largest size may be held per direction before the sender waits.
    const highWater = 4 * this.#route.maxMessageBytes;
    // Strict ordering per direction: each frame waits for the one before it.
    const relayFrom = (from: WebSocket, to: WebSocket, direction: Direction): WebSocketFlow => {
      const flow = new WebSocketFlow(from, highWater, { upstream: this.#route.upstream.name, direction });
      let chain: Promise<void> = bound;
      from.on('message', (data, isBinary) => {
        const size = byteLength(data);
        flow.hold(size);
        chain = chain
          .then(() => this.#relay(data, isBinary, direction, { connection, correlator, from, to, closeBoth }))
          .catch(failed)
          .finally(() => flow.release(size));
      });
      return flow;
    };
    const toServerFlow = relayFrom(client, upstream, 'to_server');
    const toClientFlow = relayFrom(upstream, client, 'to_client');
    client.on('close', (code, reason) => closeBoth(code, reason.toString()));
    upstream.on('close', (code, reason) => closeBoth(code, reason.toString()));
    client.on('error', () => closeBoth(1011, 'client error'));
    upstream.on('error', () => closeBoth(1011, 'upstream error'));

    // Heartbeat both sides: a peer that stops answering pings is dead; close the other side too.
    // A side we stopped reading (backpressure) cannot show us its pong; that is not death.
    const alive = new Map<WebSocket, boolean>([[client, true], [upstream, true]]);
    const readPaused = new Map<WebSocket, WebSocketFlow>([[client, toServerFlow], [upstream, toClientFlow]]);
    client.on('pong', () => alive.set(client, true));
    upstream.on('pong', () => alive.set(upstream, true));
    const heartbeat = setInterval(() => {
      for (const ws of [client, upstream]) {
        if (!alive.get(ws) && !readPaused.get(ws)?.paused) {
          ws.terminate();
          closeBoth(1001, 'peer did not answer ping');
          return;
        }
        alive.set(ws, false);
        ws.ping();
      }
    }, HEARTBEAT_MS);
    heartbeat.unref();
  }

  async #relay(
    data: RawData,
    isBinary: boolean,
    direction: Direction,
    o: { connection: ConnectionInfo; correlator: Correlator; from: WebSocket; to: WebSocket; closeBoth: (code: number, reason: string) => void },
  ): Promise<void> {
    if (isBinary) {
      // MCP over WebSocket is JSON text; a binary frame cannot be the message we would inspect.
      o.closeBoth(1003, 'binary frames are not accepted');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    let body;
    try {
      body = await this.#route.processor.processBytes(bytes, direction, o.connection, o.correlator, { allowBatch: false });
    } catch (err) {
      if (!isWardenError(err)) throw err;
      this.#route.logger.info({ code: err.code, detail: err.detail, direction, upstream: this.#route.upstream.name }, 'WebSocket frame refused');
      // Tell the sender (if it is the client, as a JSON-RPC error; the upstream gets one too).
      await sendIfOpen(o.from, serialise(errorResponse(null, err)));
      return;
    }
    for (const item of body.items) {
      if (item.outcome.action === 'forward') {
        if (direction === 'to_server' && item.ctx.summary.method === 'initialize') o.connection.protocolVersion = protocolVersionOf(item.outcome.message);
        await sendIfOpen(o.to, bytesToForward(item));
        continue;
      }
      const kind = item.ctx.summary.kind;
      if (kind === 'request') await sendIfOpen(o.from, serialise(errorResponse(item.ctx.summary.id ?? null, item.outcome.error)));
      else if (kind === 'response') await sendIfOpen(o.to, serialise(errorResponse(item.ctx.summary.id ?? null, item.outcome.error)));
      // A refused notification is dropped (audited by observers).
    }
  }

  async close(): Promise<void> {
    for (const ws of this.#live) ws.close(1001, 'mcp-warden shutting down');
    this.#server.close();
  }
}

/** Sends a text frame; resolves once it left for the peer's socket (the flow's release point). */
function sendIfOpen(ws: WebSocket, data: string | Buffer): Promise<void> {
  if (ws.readyState !== WebSocket.OPEN) return Promise.resolve();
  // A send that fails (socket closed meanwhile) is the close handler's business, not the relay's.
  return new Promise((resolve) => ws.send(data, { binary: false }, () => resolve()));
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** 1005/1006/1015 are reserved and may not be sent in a close frame. */
function sendableCode(code: number): number {
  if (code === 1005 || code === 1006 || code === 1015 || code < 1000 || code >= 5000) return 1000;
  return code;
}

function protocolVersionOf(message: JsonRpcMessage): string | undefined {
  const params = (message as { params?: { protocolVersion?: unknown } }).params;
  return typeof params?.protocolVersion === 'string' ? params.protocolVersion : undefined;
}

export function upgradeRefusal(error: WardenError, headers: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const body = serialise(errorResponse(null, error));
  return `HTTP/1.1 ${error.httpStatus} ${error.message.split(':')[0]}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
