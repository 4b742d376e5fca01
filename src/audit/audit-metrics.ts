import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

/**
 * Audit metrics. Labels are bounded: `sink` is a configured sink name, `reason` a fixed set.
 * Gauges that depend on live state (spool bytes, oldest unacknowledged age) are set by the spool
 * and the shippers as they work.
 */
export const auditEventsWritten = new Counter({
  name: 'mcp_warden_audit_events_written_total',
  help: 'Audit events appended to the spool',
  registers: [metricsRegistry],
});

export const auditEventsAcked = new Counter({
  name: 'mcp_warden_audit_events_acknowledged_total',
  help: 'Audit events a sink acknowledged (the sink cursor moved past them)',
  labelNames: ['sink'] as const,
  registers: [metricsRegistry],
});

export const auditRetries = new Counter({
  name: 'mcp_warden_audit_retries_total',
  help: 'Failed deliveries to a sink that will be retried',
  labelNames: ['sink', 'reason'] as const,
  registers: [metricsRegistry],
});

export const auditResent = new Counter({
  name: 'mcp_warden_audit_events_resent_total',
  help: 'Events sent again because their delivery was not acknowledged (possible duplicates at the sink)',
  labelNames: ['sink'] as const,
  registers: [metricsRegistry],
});

export const auditDropped = new Counter({
  name: 'mcp_warden_audit_events_dropped_total',
  help: 'Events lost: deleted by the drop_oldest policy before every sink acknowledged them, or not spooled',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const auditSpoolBytes = new Gauge({
  name: 'mcp_warden_audit_spool_bytes',
  help: 'Bytes held in the audit spool segments',
  registers: [metricsRegistry],
});

export const auditSpoolFull = new Gauge({
  name: 'mcp_warden_audit_spool_full',
  help: '1 while the spool holds its configured maximum (block policy: new requests are refused)',
  registers: [metricsRegistry],
});

export const auditJournalBacklog = new Gauge({
  name: 'mcp_warden_audit_journal_backlog_bytes',
  help: 'Bytes of events in the audit journal not yet moved into the spool (past audit.spool.journal_max_bytes new requests are refused)',
  registers: [metricsRegistry],
});

export const auditOldestUnackedSeconds = new Gauge({
  name: 'mcp_warden_audit_oldest_unacknowledged_age_seconds',
  help: 'Age of the oldest event a sink has not acknowledged (0 when caught up)',
  labelNames: ['sink'] as const,
  registers: [metricsRegistry],
});

export const auditErrors = new Counter({
  name: 'mcp_warden_audit_internal_errors_total',
  help: 'Errors inside the audit subsystem (building, spooling); each is also logged',
  labelNames: ['where'] as const,
  registers: [metricsRegistry],
});

/** Every audit metric: the audit thread counts in its own copies, mirrored into the proxy's registry (audit-thread.ts). */
export const AUDIT_METRICS: readonly (Counter | Gauge)[] = [auditEventsWritten, auditEventsAcked, auditRetries, auditResent, auditDropped, auditSpoolBytes, auditSpoolFull, auditJournalBacklog, auditOldestUnackedSeconds, auditErrors];
