import type { Agent } from 'undici';
import type { Logger } from 'pino';
import { auditDropped } from '../audit-metrics.ts';
import { PRODUCT } from '../ocsf-event.ts';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { post } from './http-post.ts';
import type { Sink } from './sink.ts';

/**
 * OpenTelemetry logs over OTLP/HTTP with the JSON encoding (`POST …/v1/logs`). One LogRecord per
 * event: the rendered event as the string body, chain and MCP keys as attributes.
 */
const OTEL_SEVERITY: readonly [number, string][] = [[9, 'INFO'], [9, 'INFO'], [10, 'INFO2'], [13, 'WARN'], [17, 'ERROR'], [21, 'FATAL'], [21, 'FATAL']];

type Attr = { key: string; value: { stringValue: string } | { intValue: string } | { boolValue: boolean } };

function str(key: string, v: unknown): Attr[] {
  return typeof v === 'string' ? [{ key, value: { stringValue: v } }] : [];
}

export function otlpLogRecord(e: SpoolEntry, rendered: string): Record<string, unknown> {
  const ev = e.event;
  const [num, text] = OTEL_SEVERITY[typeof ev.severity_id === 'number' ? ev.severity_id : 1] ?? [9, 'INFO'];
  const mcp = (ev.unmapped.mcp ?? {}) as Record<string, unknown>;
  const chain = (ev.unmapped.chain ?? {}) as Record<string, unknown>;
  const time = typeof ev.time === 'number' ? ev.time : Date.now();
  return {
    timeUnixNano: `${BigInt(Math.round(time)) * 1_000_000n}`,
    observedTimeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
    severityNumber: num,
    severityText: text,
    eventName: String(ev.metadata.event_code ?? 'mcp.exchange'),
    body: { stringValue: rendered },
    attributes: [
      { key: 'mcp_warden.seq', value: { intValue: String(e.seq) } },
      ...str('mcp_warden.replica_id', chain.replica_id),
      ...str('mcp_warden.prev_hash', chain.prev_hash),
      ...str('mcp.method', mcp.method),
      ...str('mcp.tool', mcp.tool),
      ...str('mcp.session_id', mcp.session_id),
      ...str('enduser.id', (ev.actor as { user?: { uid?: string } } | undefined)?.user?.uid),
      ...str('event.outcome', ev.status),
    ],
  };
}

export class OtlpSink implements Sink {
  readonly type = 'otlp';
  readonly name: string;
  readonly #o: { url: string; headers: Record<string, string>; serviceName: string; timeoutMs: number; format: (e: SpoolEntry) => string; agent: Agent; logger: Logger };

  constructor(o: { name: string; url: string; headers: Record<string, string>; serviceName: string; timeoutMs: number; format: (e: SpoolEntry) => string; agent: Agent; logger: Logger }) {
    this.name = o.name;
    this.#o = o;
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    const body = JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: this.#o.serviceName } }] },
          scopeLogs: [{ scope: { name: 'mcp-warden.audit', version: PRODUCT.version }, logRecords: batch.map((e) => otlpLogRecord(e, this.#o.format(e))) }],
        },
      ],
    });
    const answer = await post(this.#o.agent, this.#o.url, body, { ...this.#o.headers, 'content-type': 'application/json' }, this.#o.timeoutMs);
    // Rejected records are permanent (OTLP spec: do not retry them); say so loudly.
    let rejected = 0;
    try {
      rejected = Number((JSON.parse(answer || '{}') as { partialSuccess?: { rejectedLogRecords?: string | number } }).partialSuccess?.rejectedLogRecords ?? 0);
    } catch {
      rejected = 0;
    }
    if (rejected > 0) {
      auditDropped.inc({ reason: 'otlp_rejected' }, rejected);
      this.#o.logger.error({ sink: this.name, rejected }, 'ALERT OTLP receiver rejected audit log records');
    }
  }

  async close(): Promise<void> {
    await this.#o.agent.close();
  }
}
