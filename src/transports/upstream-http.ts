import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { WardenError } from '../errors/warden-error.ts';
import { upstreamErrorsTotal } from '../metrics/proxy-metrics.ts';

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

/**
 * HTTP to one upstream origin through a pooled, keep-alive undici client. Bodies stream (the
 * caller reads them chunk by chunk); only the wait for response headers is bounded here, because
 * SSE bodies are long-lived by design. Connection failures become stable WardenErrors.
 */
export class UpstreamHttp {
  readonly #pool: Pool;
  readonly #name: string;
  readonly #headersTimeoutMs: number;

  constructor(name: string, origin: string, options: { headersTimeoutMs: number; connections?: number }) {
    this.#name = name;
    this.#headersTimeoutMs = options.headersTimeoutMs;
    this.#pool = new Pool(origin, { connections: options.connections ?? 256, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async request(options: {
    method: 'GET' | 'POST' | 'DELETE';
    path: string;
    headers: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal;
  }): Promise<UpstreamResponse> {
    try {
      const response = await this.#pool.request({
        method: options.method,
        path: options.path,
        headers: options.headers,
        body: options.body ?? null,
        signal: options.signal ?? null,
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: 0,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (err) {
      throw this.#translate(err);
    }
  }

  #translate(err: unknown): WardenError | Error {
    if (err instanceof Error && err.name === 'AbortError') return err;
    if (err instanceof undiciErrors.HeadersTimeoutError) {
      upstreamErrorsTotal.inc({ upstream: this.#name, kind: 'timeout' });
      return new WardenError('WARDEN_ERR_UPSTREAM_TIMEOUT', { detail: `${this.#name}: no response headers in ${this.#headersTimeoutMs} ms`, cause: err });
    }
    upstreamErrorsTotal.inc({ upstream: this.#name, kind: 'connect' });
    return new WardenError('WARDEN_ERR_UPSTREAM_UNAVAILABLE', { detail: `${this.#name}: ${(err as Error).message}`, cause: err });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  destroy(): Promise<void> {
    return this.#pool.destroy();
  }
}

/**
 * Reads a whole (non-SSE) upstream body, refusing it once it passes `limit` bytes or takes longer
 * than `timeoutMs`. Only SSE bodies may be long-lived; a JSON body that trickles forever would hold
 * the client's request (and a pooled connection) forever.
 */
export function readUpstreamBody(body: UpstreamResponse['body'], limit: number, upstream: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      body.destroy();
      upstreamErrorsTotal.inc({ upstream, kind: 'timeout' });
      reject(new WardenError('WARDEN_ERR_UPSTREAM_TIMEOUT', { detail: `${upstream}: response body not complete in ${timeoutMs} ms` }));
    }, timeoutMs);
    body.once('close', () => clearTimeout(timer));
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        upstreamErrorsTotal.inc({ upstream, kind: 'too_large' });
        reject(new WardenError('WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE', { detail: `${upstream}: body > ${limit} bytes` }));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    body.once('error', (err) => reject(new WardenError('WARDEN_ERR_UPSTREAM_UNAVAILABLE', { detail: `${upstream}: ${err.message}`, cause: err })));
  });
}

export function isEventStream(headers: UpstreamResponse['headers']): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream');
}

export function isJson(headers: UpstreamResponse['headers']): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('application/json');
}
