import { randomUUID } from 'node:crypto';
import type { Agent } from 'undici';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { post } from './http-post.ts';
import { SinkError, type Sink } from './sink.ts';

/**
 * Splunk HTTP Event Collector: batched `POST /services/collector/event` (concatenated JSON event
 * objects) with `Authorization: Splunk <token>`. With indexer acknowledgement on, every request
 * carries `X-Splunk-Request-Channel`, the answer's `ackId` is polled on `/services/collector/ack`
 * and the batch counts as delivered only once Splunk reports it indexed.
 */
export interface HecOptions {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly index: string | undefined;
  readonly source: string;
  readonly sourcetype: string;
  readonly ack: boolean;
  readonly channel: string | undefined;
  readonly ackPollMs: number;
  readonly ackTimeoutMs: number;
  readonly timeoutMs: number;
  readonly headers: Record<string, string>;
  readonly format: 'ocsf' | 'ecs' | 'cef';
  readonly render: (e: SpoolEntry) => string;
  readonly agent: Agent;
}

function endpoint(base: string, path: string): string {
  const u = new URL(base);
  const root = u.pathname.replace(/\/services\/collector(\/event)?\/?$/, '').replace(/\/$/, '');
  u.pathname = `${root}${path}`;
  return u.toString();
}

export class SplunkHecSink implements Sink {
  readonly type = 'splunk_hec';
  readonly name: string;
  readonly #o: HecOptions;
  readonly #channel: string;

  constructor(o: HecOptions) {
    this.name = o.name;
    this.#o = o;
    this.#channel = o.channel ?? randomUUID();
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    const o = this.#o;
    const body = batch
      .map((e) => {
        const rendered = o.render(e);
        const head = JSON.stringify({ time: e.header.time / 1000, host: e.replicaId, source: o.source, sourcetype: o.sourcetype, ...(o.index !== undefined ? { index: o.index } : {}) });
        // The rendered JSON goes in as it is, not parsed and written again: the receiver gets the spooled bytes.
        return `${head.slice(0, -1)},"event":${o.format === 'cef' ? JSON.stringify(rendered) : rendered}}`;
      })
      .join('\n');
    const headers: Record<string, string> = { ...o.headers, authorization: `Splunk ${o.token}`, 'content-type': 'application/json' };
    if (o.ack) headers['x-splunk-request-channel'] = this.#channel;
    const answer = await post(o.agent, endpoint(o.url, '/services/collector/event'), body, headers, o.timeoutMs);
    if (!o.ack) return;
    let ackId: number | undefined;
    try {
      ackId = (JSON.parse(answer) as { ackId?: number }).ackId;
    } catch {
      ackId = undefined;
    }
    if (typeof ackId !== 'number') throw new SinkError('Splunk HEC answered without ackId although indexer acknowledgement is on', 'hec_ack');
    await this.#awaitAck(ackId, headers);
  }

  async #awaitAck(ackId: number, headers: Record<string, string>): Promise<void> {
    const o = this.#o;
    const deadline = Date.now() + o.ackTimeoutMs;
    const url = `${endpoint(o.url, '/services/collector/ack')}?channel=${encodeURIComponent(this.#channel)}`;
    while (Date.now() < deadline) {
      const answer = await post(o.agent, url, JSON.stringify({ acks: [ackId] }), headers, o.timeoutMs);
      const acks = (JSON.parse(answer) as { acks?: Record<string, boolean> }).acks ?? {};
      if (acks[String(ackId)] === true) return;
      await new Promise((r) => setTimeout(r, o.ackPollMs));
    }
    throw new SinkError(`Splunk HEC did not acknowledge ackId ${ackId} within ${o.ackTimeoutMs} ms`, 'hec_ack');
  }

  async close(): Promise<void> {
    await this.#o.agent.close();
  }
}
