import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from './registry.ts';

/**
 * Data-path metrics. Labels are bounded: transport (3 values), upstream (config names), method
 * (MCP method names seen are folded to `other` past the known set), outcome (forwarded/refused).
 */
export const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'server/discover', 'tools/list', 'tools/call', 'resources/list', 'resources/read',
  'resources/templates/list', 'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get',
  'completion/complete', 'logging/setLevel', 'sampling/createMessage', 'elicitation/create', 'roots/list',
  'notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/message',
  'notifications/tools/list_changed', 'notifications/resources/list_changed', 'notifications/resources/updated',
  'notifications/prompts/list_changed', 'notifications/roots/list_changed', 'response',
]);

export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'response';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

export const messagesTotal = new Counter({
  name: 'mcp_warden_messages_total',
  help: 'JSON-RPC messages that went through the pipeline, by direction and outcome',
  labelNames: ['transport', 'upstream', 'direction', 'method', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const refusalsTotal = new Counter({
  name: 'mcp_warden_refusals_total',
  help: 'Refusals before or inside the pipeline, by stable error code',
  labelNames: ['transport', 'upstream', 'code'] as const,
  registers: [metricsRegistry],
});

export const exchangeSeconds = new Histogram({
  name: 'mcp_warden_exchange_duration_seconds',
  help: 'Time from a client request entering mcp-warden to its response leaving, by method',
  labelNames: ['transport', 'upstream', 'method'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const pipelineSeconds = new Histogram({
  name: 'mcp_warden_pipeline_duration_seconds',
  help: 'Time spent in the stage pipeline for one message (the overhead mcp-warden adds)',
  labelNames: ['direction'] as const,
  buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  registers: [metricsRegistry],
});

export const openStreams = new Gauge({
  name: 'mcp_warden_open_streams',
  help: 'Open SSE streams and WebSocket connections',
  labelNames: ['transport', 'upstream'] as const,
  registers: [metricsRegistry],
});

export const upstreamErrorsTotal = new Counter({
  name: 'mcp_warden_upstream_errors_total',
  help: 'Failures talking to an upstream (connection refused, timeout, protocol error)',
  labelNames: ['upstream', 'kind'] as const,
  registers: [metricsRegistry],
});

export const websocketPausesTotal = new Counter({
  name: 'mcp_warden_websocket_backpressure_pauses_total',
  help: 'Times a WebSocket sender stopped being read because the other side (or the pipeline) had not caught up',
  labelNames: ['upstream', 'direction'] as const,
  registers: [metricsRegistry],
});
