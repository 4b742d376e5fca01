import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

/**
 * Redaction metrics. Labels are bounded: entity_type (built-in types plus the configured custom
 * ones), action (5 values), direction (2 values).
 */
export const redactionsTotal = new Counter({
  name: 'mcp_warden_redactions_total',
  help: 'Values redacted, by entity type and action',
  labelNames: ['entity_type', 'action'] as const,
  registers: [metricsRegistry],
});

export const redactScannedBytesTotal = new Counter({
  name: 'mcp_warden_redact_scanned_bytes_total',
  help: 'Bytes of JSON-RPC messages scanned for redaction, by direction',
  labelNames: ['direction'] as const,
  registers: [metricsRegistry],
});

export const redactBlockedTotal = new Counter({
  name: 'mcp_warden_redact_blocked_total',
  help: 'Messages withheld because they held an entity type whose action is block',
  registers: [metricsRegistry],
});

export const redactScanSeconds = new Histogram({
  name: 'mcp_warden_redact_scan_duration_seconds',
  help: 'Time spent scanning and redacting one message',
  labelNames: ['direction'] as const,
  buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1],
  registers: [metricsRegistry],
});
