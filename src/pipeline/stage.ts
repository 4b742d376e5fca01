import type { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import type { Direction, MessageContext } from './exchange-context.ts';

export type StageResult =
  | { readonly action: 'pass' }
  | { readonly action: 'mutate'; readonly message: JsonRpcMessage }
  | { readonly action: 'reject'; readonly error: WardenError };

export const PASS: StageResult = Object.freeze({ action: 'pass' });

export function mutate(message: JsonRpcMessage): StageResult {
  return { action: 'mutate', message };
}

export function reject(error: WardenError): StageResult {
  return { action: 'reject', error };
}

/**
 * One step of the pipeline. A stage says which directions it wants; the pipeline compiles per
 * direction lists once at load, so a stage never sees a message it did not ask for.
 */
export interface Stage {
  readonly name: string;
  readonly directions: readonly Direction[];
  process(ctx: MessageContext): StageResult | Promise<StageResult>;
}

/**
 * Sees every final outcome (forwarded or refused), after the stages ran. Audit and metrics are
 * observers: they never change a message and must not block (DESIGN.md invariant 6). An observer
 * may return a promise: the outcome takes effect (the message is forwarded, the refusal answered)
 * once it settles. Audit returns one for an exchange's outcome, settled when its event is written
 * to local disk (the audit journal), so a client never holds an answer whose audit event a crash could lose. A
 * promise that rejects turns the outcome into a refusal with its error (fail closed).
 */
export interface PipelineObserver {
  onOutcome(ctx: MessageContext, outcome: PipelineOutcome): void | Promise<void>;
}

export type PipelineOutcome =
  | { readonly action: 'forward'; readonly message: JsonRpcMessage; readonly mutated: boolean }
  | { readonly action: 'reject'; readonly error: WardenError; readonly stage: string };
