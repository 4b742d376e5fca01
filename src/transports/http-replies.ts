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
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}

/** A refusal at the HTTP layer: the error's HTTP status and a JSON-RPC error body. */
export function sendRefusal(res: ServerResponse, error: WardenError, id: JsonRpcId | null = null, headers: OutgoingHttpHeaders = {}): void {
  sendJson(res, error.httpStatus, serialise(errorResponse(id, error)), headers);
}

/**
 * Reads a request body up to `limit` bytes. Refuses early on a declared Content-Length over the
 * limit, and stops reading (and refuses) as soon as the streamed body passes it.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit)
    throw new WardenError('WARDEN_ERR_SIZE_REQUEST_TOO_LARGE', { detail: `content-length ${declared} > ${limit}` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume(); // drain and discard the rest
      throw new WardenError('WARDEN_ERR_SIZE_REQUEST_TOO_LARGE', { detail: `body > ${limit}` });
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
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
