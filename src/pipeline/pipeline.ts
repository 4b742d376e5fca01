import { WardenError, isWardenError } from '../errors/warden-error.ts';
import type { Direction, MessageContext } from './exchange-context.ts';
import type { PipelineObserver, PipelineOutcome, Stage } from './stage.ts';

/**
 * The stage loop. Stage lists are compiled once per direction at construction; an empty list is
 * `null` so the hot path pays nothing (fastify style). The first reject ends the chain. A stage
 * that throws is a reject (fail closed), never a pass.
 */
export class Pipeline {
  readonly #toServer: readonly Stage[] | null;
  readonly #toClient: readonly Stage[] | null;
  readonly #observers: readonly PipelineObserver[] | null;

  /**
   * `stages` lists the stages per direction, in the order they run (compose decides it). A stage
   * listed for a direction it does not declare in `directions` is left out of that list.
   */
  constructor(stages: { readonly toServer: readonly Stage[]; readonly toClient: readonly Stage[] }, observers: readonly PipelineObserver[] = []) {
    const compile = (list: readonly Stage[], d: Direction) => {
      const kept = list.filter((s) => s.directions.includes(d));
      return kept.length === 0 ? null : kept;
    };
    this.#toServer = compile(stages.toServer, 'to_server');
    this.#toClient = compile(stages.toClient, 'to_client');
    this.#observers = observers.length === 0 ? null : observers;
  }

  async run(ctx: MessageContext): Promise<PipelineOutcome> {
    const stages = ctx.direction === 'to_server' ? this.#toServer : this.#toClient;
    let outcome: PipelineOutcome = { action: 'forward', message: ctx.message, mutated: false };
    if (stages !== null) {
      let mutated = false;
      for (const stage of stages) {
        let result;
        try {
          result = await stage.process(ctx);
        } catch (err) {
          result = {
            action: 'reject' as const,
            error: isWardenError(err)
              ? err
              : new WardenError('WARDEN_ERR_INTERNAL_ERROR', { detail: `stage ${stage.name} threw: ${String(err)}`, cause: err }),
          };
        }
        if (result.action === 'reject') {
          outcome = { action: 'reject', error: result.error, stage: stage.name };
          break;
        }
        if (result.action === 'mutate') {
          ctx.message = result.message;
          ctx.raw = undefined; // the evaluated bytes no longer describe the message
          mutated = true;
        }
      }
      if (outcome.action === 'forward') outcome = { action: 'forward', message: ctx.message, mutated };
    }
    return this.#observed(ctx, outcome);
  }

  /**
   * A message refused before the stages could run (e.g. a request reusing a pending id): the
   * observers see it like any other refusal, so it is audited and counted.
   */
  refuse(ctx: MessageContext, error: WardenError, stage: string): Promise<PipelineOutcome> {
    return this.#observed(ctx, { action: 'reject', error, stage });
  }

  /** Tells every observer; the outcome takes effect once what they returned has settled. */
  async #observed(ctx: MessageContext, outcome: PipelineOutcome): Promise<PipelineOutcome> {
    if (this.#observers === null) return outcome;
    let settled: Promise<unknown> | undefined;
    for (const observer of this.#observers) {
      try {
        const pending = observer.onOutcome(ctx, outcome);
        if (pending !== undefined) settled = settled === undefined ? pending : Promise.all([settled, pending]);
      } catch {
        // An observer failing must never change what happens to the message; audit counts its own failures.
      }
    }
    if (settled !== undefined) {
      try {
        await settled;
      } catch (err) {
        // The outcome could not be recorded (audit could not write its event to disk in time): it is
        // not released. Fail closed, as with a stage that throws.
        const error = isWardenError(err) ? err : new WardenError('WARDEN_ERR_INTERNAL_ERROR', { detail: `observer failed: ${String(err)}`, cause: err });
        const refused: PipelineOutcome = { action: 'reject', error, stage: 'audit' };
        // The observers recorded an outcome the client will not see: they also learn the refusal
        // (audit writes it after the first event once it can), without anyone waiting on it.
        for (const observer of this.#observers) {
          try {
            void Promise.resolve(observer.onOutcome(ctx, refused)).catch(() => {});
          } catch {
            // as above
          }
        }
        return refused;
      }
    }
    return outcome;
  }
}
