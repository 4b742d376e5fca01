import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

/**
 * The default policy's load-time index (policies/patterns.rego): the shape of every pattern in
 * data.warden (literal, literal + `*`, other glob), so that a decision matches names and URIs with
 * string built-ins instead of compiling a glob on every call. Computed by the policy itself, once
 * per data load, and handed back to it as data.warden_index.patterns. A policy without this rule
 * works unchanged: the index is an optimisation, never a source of decisions.
 */
export const PATTERN_INDEX_ENTRYPOINT = 'mcp_warden/pattern_index';

/** Whether Rego sources define the index rule (package mcp_warden, rule pattern_index). */
export function definesPatternIndex(sources: readonly string[]): boolean {
  return sources.some((s) => /^package\s+mcp_warden\s*$/m.test(s) && /^pattern_index\s*:?=/m.test(s));
}

/**
 * Evaluates the index entrypoint against the data already set; undefined when the bundle has no
 * such entrypoint. Throws when it has one and it does not yield an object.
 */
export function evaluatePatternIndex(policy: LoadedPolicy): Record<string, unknown> | undefined {
  const entrypoint = (policy.entrypoints as Record<string, number>)[PATTERN_INDEX_ENTRYPOINT];
  if (entrypoint === undefined) return undefined;
  const resultSet = policy.evaluate({}, entrypoint) as unknown;
  const value = Array.isArray(resultSet) && resultSet.length === 1 ? (resultSet[0] as { result?: unknown }).result : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${PATTERN_INDEX_ENTRYPOINT} did not yield an object`);
  return value as Record<string, unknown>;
}
