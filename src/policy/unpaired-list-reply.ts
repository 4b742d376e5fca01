import type { Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import { DECISION_NOTE, type Decision } from '../pipeline/decision.ts';
import type { MessageContext } from '../pipeline/exchange-context.ts';
import { reject, type StageResult } from '../pipeline/stage.ts';
import { LIST_FIELDS } from './list-replies.ts';
import { unpairedListRepliesTotal } from './policy-metrics.ts';

export const UNPAIRED_LIST_RULE = 'warden.unpaired_list_reply';

/** The list members (tools, prompts, …) a response's result carries, if any. */
function listFields(message: unknown): string[] {
  const result = (message as { result?: unknown }).result;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return [];
  return Object.keys(result).filter((k) => LIST_FIELDS.has(k));
}

/**
 * A response on its way to the client that answers no request this proxy decided (its request was
 * evicted from the correlator — past 1024 pending or the 15-minute TTL — or never existed) is not
 * covered by list filtering. If it carries a list, the client could pair it with a list request of
 * its own and see items the policy hides: a route around list/call parity. So such a reply is
 * refused (dropped; the refusal is logged, counted and audited as the response's outcome), whatever
 * the list holds. Returns undefined for anything that is not list-shaped.
 */
export function refuseUnpairedList(ctx: MessageContext, bundleRevision: string, logger: Logger): StageResult | undefined {
  const fields = listFields(ctx.message);
  if (fields.length === 0) return undefined;
  const upstream = ctx.connection.upstream;
  const reason = `response to no pending request carries ${fields.join(', ')}`;
  const decision: Decision = { allow: false, reason, rule: UNPAIRED_LIST_RULE, redact: [], audit: { level: 'full' }, decisionId: ctx.decisionId, bundleRevision };
  ctx.notes.set(DECISION_NOTE, decision);
  unpairedListRepliesTotal.inc({ upstream });
  logger.warn({ decision_id: ctx.decisionId, upstream, jsonrpc_id: ctx.summary.id, fields }, 'unpaired list reply refused: it answers no pending request');
  return reject(new WardenError('WARDEN_ERR_POLICY_DENIED', { detail: `${UNPAIRED_LIST_RULE}: ${reason}` }));
}
