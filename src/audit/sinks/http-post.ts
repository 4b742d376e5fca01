import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { SinkError, retryAfterMs } from './sink.ts';

export interface HttpTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly reject_unauthorized: boolean;
}

/** An undici agent for one sink (its own pool and, when given, its own CA and client certificate). */
export function sinkAgent(tls: HttpTls | undefined, resolvePath: (p: string) => string): Agent {
  return new Agent({
    connections: 4,
    keepAliveTimeout: 30_000,
    connect:
      tls === undefined
        ? {}
        : {
            rejectUnauthorized: tls.reject_unauthorized,
            ...(tls.ca !== undefined ? { ca: readFileSync(resolvePath(tls.ca)) } : {}),
            ...(tls.cert !== undefined ? { cert: readFileSync(resolvePath(tls.cert)) } : {}),
            ...(tls.key !== undefined ? { key: readFileSync(resolvePath(tls.key)) } : {}),
            ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
          },
  });
}

/**
 * POSTs and classifies the answer: 2xx resolves with the body; anything else is a SinkError to
 * retry (429 and 503 with their Retry-After). A 4xx is retried too, slowly (the shipper's cap):
 * dropping events because a SIEM is misconfigured would be silent loss; the metric and log say why.
 */
export async function post(dispatcher: Dispatcher, url: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { method: 'POST', body, headers, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  } catch (err) {
    throw new SinkError(`POST ${redactUrl(url)}: ${(err as Error).message}`, 'connection');
  }
  const text = await res.body.text().catch(() => '');
  if (res.statusCode >= 200 && res.statusCode < 300) return text;
  const reason = res.statusCode === 429 ? 'http_429' : res.statusCode >= 500 ? 'http_5xx' : 'http_4xx';
  throw new SinkError(`POST ${redactUrl(url)}: HTTP ${res.statusCode} ${text.slice(0, 200)}`, reason, retryAfterMs(res.headers['retry-after']));
}

/** Never log credentials that may sit in a URL's user info or query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
