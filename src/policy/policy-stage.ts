import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcSuccess } from '../jsonrpc/message.ts';
import { DECISION_NOTE, type Decision } from '../pipeline/decision.ts';
import type { MessageContext } from '../pipeline/exchange-context.ts';
import { PASS, mutate, reject, type Stage, type StageResult } from '../pipeline/stage.ts';
import type { EditMode } from './edit-mode.ts';
import { buildInput, buildListItemInput, modeInput, type ModeInput, type ToolInput } from './input-builder.ts';
import type { PolicyEngine } from './policy-engine.ts';
import { policyDecisionsTotal, policyEvaluationSeconds } from './policy-metrics.ts';
import { LISTS } from './list-replies.ts';
import { refuseUnpairedList } from './unpaired-list-reply.ts';
import type { ToolCatalogue } from './tool-catalogue.ts';
import type { DefinitionStatus, ToolClassifier } from './tool-classifier.ts';
import { canonicalToolName } from './tool-name.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The one refusal a client sees for any policy deny: same code and message whatever the reason. */
function denied(detail: string): StageResult {
  return reject(new WardenError('WARDEN_ERR_POLICY_DENIED', { detail }));
}

/**
 * The decision point in the pipeline. Every to_server message and every server→client request or
 * notification is decided by the compiled policy; the decision is stored under DECISION_NOTE for
 * redaction and audit. Replies to list requests are filtered with the same decision as a call of
 * each item (list/call parity), and tools/list replies feed the tool catalogue and pins.
 */
export class PolicyStage implements Stage {
  readonly name = 'policy';
  readonly directions = ['to_server', 'to_client'] as const;
  readonly #engine: PolicyEngine;
  readonly #catalogue: ToolCatalogue;
  readonly #classifier: ToolClassifier;
  readonly #editMode: EditMode;
  readonly #logger: Logger;
  readonly #serverNotificationParams: boolean;

  constructor(deps: { engine: PolicyEngine; catalogue: ToolCatalogue; classifier: ToolClassifier; editMode: EditMode; logger: Logger; serverNotificationParams?: boolean }) {
    this.#serverNotificationParams = deps.serverNotificationParams ?? false;
    this.#engine = deps.engine;
    this.#catalogue = deps.catalogue;
    this.#classifier = deps.classifier;
    this.#editMode = deps.editMode;
    this.#logger = deps.logger;
  }

  async process(ctx: MessageContext): Promise<StageResult> {
    if (ctx.direction === 'to_client' && ctx.summary.kind === 'response') {
      if (ctx.request?.notes.has(DECISION_NOTE)) {
        // A reply to a request this stage already decided: the request's decision covers it.
        const list = LISTS[ctx.request.summary.method ?? ''];
        return list === undefined ? PASS : this.#filterList(ctx, ctx.request.summary.method as string, list);
      }
      const refused = refuseUnpairedList(ctx, this.#engine.revision, this.#logger);
      if (refused !== undefined) return refused;
    }
    const start = performance.now();
    const upstream = ctx.connection.upstream;
    const mode = modeInput(await this.#editMode.current(upstream));
    let tool: ToolInput | undefined;
    if (ctx.direction === 'to_server' && ctx.summary.kind === 'request' && ctx.summary.method === 'tools/call') {
      const params = (ctx.message as { params?: unknown }).params;
      const name = isObject(params) ? params.name : undefined;
      if (typeof name === 'string') tool = await this.#toolInput(upstream, name, undefined);
    }
    const verdict = this.#engine.evaluate(buildInput(ctx, tool, mode, { serverNotificationParams: this.#serverNotificationParams }));
    const decision: Decision = { ...verdict, decisionId: ctx.decisionId, bundleRevision: this.#engine.revision };
    ctx.notes.set(DECISION_NOTE, decision);
    policyEvaluationSeconds.observe((performance.now() - start) / 1000);
    policyDecisionsTotal.inc({ outcome: verdict.rule === 'warden.fail_closed' ? 'fail_closed' : verdict.allow ? 'allow' : 'deny' });
    if (!verdict.allow) return denied(`${verdict.rule}: ${verdict.reason}`);
    return PASS;
  }

  /** The tool member of the input: catalogue entry, pin status and class. */
  async #toolInput(upstream: string, name: string, known: { status: DefinitionStatus; annotations: unknown } | undefined): Promise<ToolInput> {
    const entry = known === undefined ? this.#catalogue.lookup(upstream, name) : undefined;
    const definition = known?.status ?? (await this.#catalogue.status(upstream, name));
    const annotations = (known?.annotations ?? entry?.annotations ?? {}) as Record<string, unknown>;
    return {
      name,
      canonical_name: canonicalToolName(name),
      class: this.#classifier.classify(upstream, name, annotations, definition),
      annotations,
      pinned: definition === 'approved',
      definition,
    };
  }

  async #filterList(ctx: MessageContext, method: string, list: { field: string; call: string }): Promise<StageResult> {
    if (!('result' in ctx.message)) return PASS; // a JSON-RPC error lists nothing
    const message = ctx.message as JsonRpcSuccess;
    const result = message.result;
    if (!isObject(result)) return denied(`${method} reply without a result object`);
    const items = result[list.field];
    if (items === undefined) return PASS;
    if (!Array.isArray(items)) return denied(`${method} reply whose ${list.field} is not a list`);
    const upstream = ctx.connection.upstream;
    const mode = modeInput(await this.#editMode.current(upstream));
    const objects = items.filter(isObject);
    const statuses = method === 'tools/list' ? await this.#catalogue.observe(upstream, objects) : undefined;
    const kept: unknown[] = [];
    for (const item of items) {
      if (isObject(item) && (await this.#itemAllowed(ctx, method, list.call, item, statuses, mode))) kept.push(item);
    }
    if (kept.length === items.length) return PASS;
    this.#logger.debug({ decision_id: ctx.decisionId, method, upstream, listed: items.length, shown: kept.length }, 'list reply filtered by policy');
    return mutate({ ...message, result: { ...result, [list.field]: kept } });
  }

  async #itemAllowed(ctx: MessageContext, method: string, call: string, item: Record<string, unknown>, statuses: Map<string, DefinitionStatus> | undefined, mode: ModeInput): Promise<boolean> {
    let params: Record<string, unknown>;
    let tool: ToolInput | undefined;
    if (method === 'tools/list') {
      if (typeof item.name !== 'string') return false;
      params = { name: item.name };
      tool = await this.#toolInput(ctx.connection.upstream, item.name, { status: statuses?.get(item.name) ?? 'changed', annotations: isObject(item.annotations) ? item.annotations : {} });
    } else if (method === 'prompts/list') {
      if (typeof item.name !== 'string') return false;
      params = { name: item.name };
    } else {
      const uri = method === 'resources/templates/list' ? item.uriTemplate : item.uri;
      if (typeof uri !== 'string') return false;
      params = { uri };
    }
    return this.#engine.evaluate(buildListItemInput(ctx, call, params, tool, mode)).allow;
  }
}
