import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.ts';

/** Policy metrics. Labels are bounded: outcome, trigger, upstream (config names). */
export const policyDecisionsTotal = new Counter({
  name: 'mcp_warden_policy_decisions_total',
  help: 'Policy decisions of messages by outcome (allow, deny, fail_closed)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

export const policyEvaluationSeconds = new Histogram({
  name: 'mcp_warden_policy_evaluation_duration_seconds',
  help: 'Time to decide one message (input building and evaluation)',
  buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
  registers: [metricsRegistry],
});

export const bundleLoadsTotal = new Counter({
  name: 'mcp_warden_policy_bundle_loads_total',
  help: 'Policy bundle loads by outcome (loaded, refused, unchanged) and trigger (startup, watch, poll, sighup, admin)',
  labelNames: ['outcome', 'trigger'] as const,
  registers: [metricsRegistry],
});

export const bundleInfo = new Gauge({
  name: 'mcp_warden_policy_bundle_info',
  help: 'The active policy bundle (value 1), by revision',
  labelNames: ['revision'] as const,
  registers: [metricsRegistry],
});

export const editModeGauge = new Gauge({
  name: 'mcp_warden_policy_edit_mode',
  help: 'Edit mode per upstream (1 on, 0 off), as last changed on this replica',
  labelNames: ['upstream'] as const,
  registers: [metricsRegistry],
});

export const toolDefinitionChangesTotal = new Counter({
  name: 'mcp_warden_policy_tool_definition_changes_total',
  help: 'Tools whose definition changed since it was pinned (refused until re-approved)',
  labelNames: ['upstream'] as const,
  registers: [metricsRegistry],
});

export const unpairedListRepliesTotal = new Counter({
  name: 'mcp_warden_policy_unpaired_list_replies_total',
  help: 'Responses to no pending request that carried a list (tools, prompts, resources), refused unfiltered',
  labelNames: ['upstream'] as const,
  registers: [metricsRegistry],
});
