import type { Decision } from '../pipeline/decision.ts';

/** What a policy said, validated: a Decision before the decision id and bundle revision are added per message. */
export type Verdict = Omit<Decision, 'decisionId' | 'bundleRevision'>;

const AUDIT_LEVELS = new Set(['full', 'metadata', 'none']);

/**
 * A deny that says why the policy's answer could not be used. Redacts every known type: when we do
 * not know what the policy wanted, the safe answer hides the most.
 */
export function failClosed(why: string, redactionTypes: readonly string[]): Verdict {
  return { allow: false, reason: `fail closed: ${why}`, rule: 'warden.fail_closed', redact: redactionTypes, audit: { level: 'full' } };
}

/**
 * Validates the result set of one opa-wasm evaluation into a Verdict (opa-envoy-plugin style: once,
 * into a typed object). Anything but exactly one result whose `allow` is a boolean is a deny; an
 * allow also needs a string `rule`, and a `redact` that is a list of strings when present.
 */
export function validateResultSet(resultSet: unknown, redactionTypes: readonly string[]): Verdict {
  if (!Array.isArray(resultSet)) return failClosed('result set is not a list', redactionTypes);
  if (resultSet.length === 0) return failClosed('decision is undefined', redactionTypes);
  if (resultSet.length > 1) return failClosed('policy returned more than one result', redactionTypes);
  const first = resultSet[0] as { result?: unknown } | null;
  if (typeof first !== 'object' || first === null || !('result' in first)) return failClosed('decision is undefined', redactionTypes);
  return validateDecision(first.result, redactionTypes);
}

export function validateDecision(value: unknown, redactionTypes: readonly string[]): Verdict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return failClosed('decision is not an object', redactionTypes);
  const d = value as Record<string, unknown>;
  if (typeof d.allow !== 'boolean') return failClosed('decision.allow is not a boolean', redactionTypes);
  const rule = typeof d.rule === 'string' && d.rule !== '' ? d.rule : undefined;
  const reason = typeof d.reason === 'string' ? d.reason : '';
  let redact: readonly string[] = redactionTypes;
  if (d.redact !== undefined) {
    if (!Array.isArray(d.redact) || !d.redact.every((t) => typeof t === 'string')) return failClosed('decision.redact is not a list of strings', redactionTypes);
    redact = d.redact as string[];
  }
  let level: 'full' | 'metadata' | 'none' = 'full';
  if (d.audit !== undefined) {
    const l = (d.audit as { level?: unknown } | null)?.level;
    if (typeof l !== 'string' || !AUDIT_LEVELS.has(l)) return failClosed('decision.audit.level is not full, metadata or none', redactionTypes);
    level = l as typeof level;
  }
  if (d.allow && rule === undefined) return failClosed('an allow without a rule', redactionTypes);
  return { allow: d.allow, reason, rule: rule ?? 'unnamed', redact, audit: { level } };
}
