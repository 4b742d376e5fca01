import { createHmac } from 'node:crypto';
import type { Agent } from 'undici';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { post } from './http-post.ts';
import type { Sink } from './sink.ts';

/**
 * A generic HTTP webhook: NDJSON batches. With a secret, the batch is signed:
 * `X-Warden-Timestamp: <unix seconds>` and `<signature_header>: sha256=<hex HMAC-SHA256(secret,
 * timestamp + "." + body)>`, so the receiver can check origin and freshness.
 */
export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export class WebhookSink implements Sink {
  readonly type = 'webhook';
  readonly name: string;
  readonly #o: { url: string; headers: Record<string, string>; secret: string | undefined; signatureHeader: string; timeoutMs: number; format: (e: SpoolEntry) => string; agent: Agent };

  constructor(o: { name: string; url: string; headers: Record<string, string>; secret: string | undefined; signatureHeader: string; timeoutMs: number; format: (e: SpoolEntry) => string; agent: Agent }) {
    this.name = o.name;
    this.#o = o;
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    const body = Buffer.from(batch.map((e) => `${this.#o.format(e)}\n`).join(''));
    const headers: Record<string, string> = {
      ...this.#o.headers,
      'content-type': 'application/x-ndjson',
      'x-warden-batch': `${batch[0]?.seq ?? 0}-${batch[batch.length - 1]?.seq ?? 0}`,
    };
    if (this.#o.secret !== undefined) {
      const ts = String(Math.floor(Date.now() / 1000));
      headers['x-warden-timestamp'] = ts;
      headers[this.#o.signatureHeader.toLowerCase()] = webhookSignature(this.#o.secret, ts, body);
    }
    await post(this.#o.agent, this.#o.url, body, headers, this.#o.timeoutMs);
  }

  async close(): Promise<void> {
    await this.#o.agent.close();
  }
}
