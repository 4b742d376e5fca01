import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import { serialise, errorResponse } from '../jsonrpc/serialise.ts';
import { parseStrictJson } from '../jsonrpc/strict-json.ts';
import { summarise } from '../jsonrpc/summarise.ts';
import { toMessages } from '../jsonrpc/validate.ts';
import { exchangeSeconds, methodLabel, messagesTotal, pipelineSeconds, refusalsTotal } from '../metrics/proxy-metrics.ts';
import type { ConnectionInfo, Direction, MessageContext } from '../pipeline/exchange-context.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { PipelineOutcome } from '../pipeline/stage.ts';
import type { Correlator } from './correlator.ts';

/** One message after the pipeline: what to forward, or the error to answer with. */
export interface Processed {
  readonly ctx: MessageContext;
  readonly outcome: PipelineOutcome;
}

export interface ProcessedBody {
  readonly batch: boolean;
  readonly items: readonly Processed[];
  /** The original bytes, when every item is forwarded unchanged (forward them as they are). */
  readonly untouchedRaw: Buffer | undefined;
}

/**
 * Bytes → strict parse → JSON-RPC validation → MCP summary → correlation → pipeline. Every
 * transport goes through here, so there is one parse and one pipeline for all of them. Parse and
 * validation errors are thrown as WardenError for the transport to answer.
 */
export class MessageProcessor {
  readonly #pipeline: Pipeline;
  readonly #maxDepth: number;
  readonly #logger: Logger;

  constructor(pipeline: Pipeline, options: { maxDepth: number }, logger: Logger) {
    this.#pipeline = pipeline;
    this.#maxDepth = options.maxDepth;
    this.#logger = logger;
  }

  /** Strict parse and JSON-RPC validation only (no pipeline). Throws WardenError. */
  parse(bytes: Buffer, options: { allowBatch: boolean }): { messages: JsonRpcMessage[]; batch: boolean } {
    return toMessages(parseStrictJson(bytes, { maxDepth: this.#maxDepth }), { allowBatch: options.allowBatch });
  }

  async processBytes(
    bytes: Buffer,
    direction: Direction,
    connection: ConnectionInfo,
    correlator: Correlator,
    options: { allowBatch: boolean },
  ): Promise<ProcessedBody> {
    return this.processParsed(this.parse(bytes, options), bytes, direction, connection, correlator);
  }

  /** Runs already-parsed messages (from `parse` on `bytes`) through the pipeline, in order. */
  async processParsed(
    parsed: { messages: JsonRpcMessage[]; batch: boolean },
    bytes: Buffer,
    direction: Direction,
    connection: ConnectionInfo,
    correlator: Correlator,
  ): Promise<ProcessedBody> {
    const { messages, batch } = parsed;
    const items: Processed[] = [];
    let untouched = true;
    for (const message of messages) {
      const processed = await this.processMessage(message, batch ? undefined : bytes, direction, connection, correlator);
      if (processed.outcome.action === 'reject' || processed.outcome.mutated) untouched = false;
      items.push(processed);
    }
    return { batch, items, untouchedRaw: untouched ? bytes : undefined };
  }

  async processMessage(
    message: JsonRpcMessage,
    raw: Buffer | undefined,
    direction: Direction,
    connection: ConnectionInfo,
    correlator: Correlator,
  ): Promise<Processed> {
    const start = performance.now();
    const isResponse = !('method' in message);
    const request = isResponse ? correlator.take(direction, (message as { id: string | number | null }).id) : undefined;
    const ctx: MessageContext = {
      decisionId: randomUUID(),
      direction,
      connection,
      receivedAt: start,
      message,
      raw,
      summary: summarise(message, request?.summary.method),
      request,
      notes: new Map(),
    };
    // A request reusing a pending id would let its reply be paired with the wrong request (a
    // tools/list reply taken for a ping's, escaping list filtering): refused before the pipeline.
    const duplicate = !isResponse && ctx.summary.kind === 'request' && ctx.summary.id != null && correlator.has(direction, ctx.summary.id);
    const outcome: PipelineOutcome = duplicate
      ? await this.#pipeline.refuse(ctx, new WardenError('WARDEN_ERR_JSONRPC_DUPLICATE_ID', { detail: `id ${String(ctx.summary.id)}` }), 'correlation')
      : await this.#pipeline.run(ctx);
    const end = performance.now();
    pipelineSeconds.observe({ direction }, (end - start) / 1000);
    if (request !== undefined && direction === 'to_client') {
      // Client request in → its response out: the whole exchange as the client's agent sees it.
      exchangeSeconds.observe({ transport: connection.transport, upstream: connection.upstream, method: methodLabel(request.summary.method) }, (end - request.receivedAt) / 1000);
    }
    const method = methodLabel(ctx.summary.kind === 'response' ? undefined : ctx.summary.method);
    if (outcome.action === 'forward') {
      correlator.remember(ctx);
      messagesTotal.inc({ transport: connection.transport, upstream: connection.upstream, direction, method, outcome: 'forwarded' });
    } else {
      messagesTotal.inc({ transport: connection.transport, upstream: connection.upstream, direction, method, outcome: 'refused' });
      refusalsTotal.inc({ transport: connection.transport, upstream: connection.upstream, code: outcome.error.code });
      this.#logger.info(
        { decision_id: ctx.decisionId, code: outcome.error.code, stage: outcome.stage, direction, method: ctx.summary.method, upstream: connection.upstream, detail: outcome.error.detail },
        'message refused',
      );
    }
    return { ctx, outcome };
  }
}

/** The bytes to send for a forwarded message: the evaluated bytes if untouched, else our own serialisation. */
export function bytesToForward(item: Processed): string | Buffer {
  if (item.outcome.action !== 'forward') throw new Error('bytesToForward called for a refused message');
  return !item.outcome.mutated && item.ctx.raw !== undefined ? item.ctx.raw : serialise(item.outcome.message);
}

/** The JSON-RPC error answering a refused request, or undefined for a refused notification/response. */
export function refusalReply(item: Processed): JsonRpcMessage | undefined {
  if (item.outcome.action !== 'reject' || item.ctx.summary.kind !== 'request') return undefined;
  return errorResponse(item.ctx.summary.id ?? null, item.outcome.error);
}
