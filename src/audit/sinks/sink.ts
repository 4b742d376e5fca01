import type { SpoolEntry } from '../spool/spool-reader.ts';

/**
 * A destination for audit events. `send` resolves only when the destination acknowledged every
 * entry of the batch (what "acknowledged" means is the sink's: a RELP `rsp 200`, an HTTP 2xx, a
 * Splunk indexer ack, a completed write). It rejects otherwise; the shipper retries the batch.
 */
export interface Sink {
  readonly name: string;
  readonly type: string;
  send(batch: readonly SpoolEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** A failed delivery. `retryAfterMs` comes from the destination (HTTP Retry-After); `reason` is a metrics label. */
export class SinkError extends Error {
  readonly reason: string;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, reason: string, retryAfterMs?: number) {
    super(message);
    this.name = 'SinkError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Parses an HTTP Retry-After value (seconds or an HTTP date) into milliseconds, bounded. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Math.min(Number(v.trim()) * 1000, 3_600_000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), 3_600_000);
}
