import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcId } from '../jsonrpc/message.ts';
import { errorResponse, serialise } from '../jsonrpc/serialise.ts';

/** Sends a JSON body with an exact Content-Length. */
export function sendJson(res: ServerResponse, status: number, body: string | Buffer, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length });
  res.end(body);
}

/** A refusal at the HTTP layer: the error's HTTP status and a JSON-RPC error body. */
export function sendRefusal(res: ServerResponse, error: WardenError, id: JsonRpcId | null = null, headers: OutgoingHttpHeaders = {}): void {
  sendJson(res, error.httpStatus, serialise(errorResponse(id, error)), headers);
}

/**
 * Reads a request body up to `limit` bytes. Refuses early on a declared Content-Length over the
 * limit, and stops reading (and refuses) as soon as the streamed body passes it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit)
    return Promise.reject(new WardenError('WARDEN_ERR_SIZE_REQUEST_TOO_LARGE', { detail: `content-length ${declared} > ${limit}` }));
  // Plain events rather than an async iterator: this runs once per request on the hot path.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume(); // drain and discard the rest
        reject(new WardenError('WARDEN_ERR_SIZE_REQUEST_TOO_LARGE', { detail: `body > ${limit}` }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Content-Type must be application/json (charset utf-8 if any); no Content-Encoding but identity. */
export function checkJsonBodyHeaders(req: IncomingMessage): WardenError | undefined {
  const type = req.headers['content-type'];
  if (type === undefined) return new WardenError('WARDEN_ERR_HTTP_CONTENT_TYPE', { detail: 'no content-type' });
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json') return new WardenError('WARDEN_ERR_HTTP_CONTENT_TYPE', { detail: `content-type ${type}` });
  for (const param of params) {
    if (param.startsWith('charset=') && param.slice(8).replace(/"/g, '') !== 'utf-8')
      return new WardenError('WARDEN_ERR_HTTP_CONTENT_TYPE', { detail: `charset ${param}` });
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity')
    return new WardenError('WARDEN_ERR_HTTP_CONTENT_ENCODING', { detail: `content-encoding ${encoding}` });
  return undefined;
}

export function clientIpOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * An AbortSignal that fires when the client goes away before the response was finished. Aborting
 * an upstream request for a response that already completed costs an exception for nothing, so
 * the controller only acts on an early close.
 */
export function abortOnEarlyClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
