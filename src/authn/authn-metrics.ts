import { Counter } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

/**
 * Authentication metrics. Labels are bounded: method (jwt, api_key, mtls, anonymous, none),
 * reason (the fixed set in FailureReason), upstream (config names).
 */
export const authnAttemptsTotal = new Counter({
  name: 'mcp_warden_authn_attempts_total',
  help: 'Authentication decisions on the MCP listener, by method and outcome',
  labelNames: ['method', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const authnFailuresTotal = new Counter({
  name: 'mcp_warden_authn_failures_total',
  help: 'Refused authentication attempts, by method and reason',
  labelNames: ['method', 'reason'] as const,
  registers: [metricsRegistry],
});

export const authnRateLimitedTotal = new Counter({
  name: 'mcp_warden_authn_rate_limited_total',
  help: 'Requests refused with 429 because their client address failed authentication too often',
  registers: [metricsRegistry],
});

export const sessionBindingRefusalsTotal = new Counter({
  name: 'mcp_warden_session_binding_conflicts_total',
  help: 'Session ids the upstream handed out that were already bound to another principal',
  labelNames: ['upstream'] as const,
  registers: [metricsRegistry],
});

export const sessionLimitRefusalsTotal = new Counter({
  name: 'mcp_warden_session_limit_refusals_total',
  help: 'Sessions refused because their principal already held auth.sessions.max_per_principal live sessions',
  labelNames: ['upstream'] as const,
  registers: [metricsRegistry],
});
