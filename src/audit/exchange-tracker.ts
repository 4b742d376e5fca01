import { performance } from 'node:perf_hooks';
import { isFailure } from '../jsonrpc/message.ts';
import { decisionFor } from '../pipeline/decision.ts';
import type { MessageContext } from '../pipeline/exchange-context.ts';
import type { PipelineObserver, PipelineOutcome } from '../pipeline/stage.ts';
import { argumentsDigest, argumentsOf, redactArguments } from './arguments.ts';
import { auditPrincipal, type ExchangeFacts } from './audit-facts.ts';

export const REDACT_EVIDENCE_NOTE = 'redact.evidence';

interface RedactEvidence {
  counts: Record<string, number>;
  paths: string[];
}

export interface TrackerOptions {
  readonly arguments: 'digest' | 'redacted';
  readonly maxPending: number;
  readonly timeoutMs: number;
  /** Called for each finished event; must not throw (the tracker guards it anyway). Settles once the event is durable. */
  readonly emit: (facts: ExchangeFacts) => void | Promise<void>;
  readonly onError: (err: unknown) => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Pending {
  readonly facts: Mutable<ExchangeFacts>;
  readonly receivedAt: number;
}

const toEpoch = (perfMs: number) => performance.timeOrigin + perfMs;

function evidenceOf(ctx: MessageContext): RedactEvidence | undefined {
  const e = ctx.notes.get(REDACT_EVIDENCE_NOTE) as RedactEvidence | undefined;
  if (e === undefined || typeof e !== 'object' || e.counts === null || typeof e.counts !== 'object') return undefined;
  return { counts: { ...e.counts }, paths: Array.isArray(e.paths) ? e.paths.filter((p) => typeof p === 'string').slice(0, 100) : [] };
}

/**
 * The pipeline observer: one audit event per exchange. A forwarded client request waits in a
 * bounded map (keyed by its context object, which its response's `ctx.request` points to) for its
 * response; a refused request, a notification, a server→client request and an unpaired response are
 * events by themselves. A request whose response does not come within `timeoutMs`, or that is pushed
 * out by the `maxPending` cap, is audited without it, so that nothing waits forever. Never throws.
 */
export class ExchangeTracker implements PipelineObserver {
  readonly #opts: TrackerOptions;
  /** Insertion order = arrival order, so the first entry is always the oldest. */
  readonly #pending = new Map<MessageContext, Pending>();
  readonly #sweep: NodeJS.Timeout;

  constructor(opts: TrackerOptions) {
    this.#opts = opts;
    this.#sweep = setInterval(() => this.#expire(performance.now()), Math.min(1000, Math.max(10, Math.floor(opts.timeoutMs / 4))));
    this.#sweep.unref();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Returns a promise for an event that concludes an exchange (a refusal, a response): the pipeline
   * releases that outcome only once the event is on disk (the journal). Forwarded notifications and requests
   * are not held back; neither is a client request, whose event waits for its response.
   */
  onOutcome(ctx: MessageContext, outcome: PipelineOutcome): void | Promise<void> {
    try {
      return this.#observe(ctx, outcome);
    } catch (err) {
      this.#opts.onError(err);
      return undefined;
    }
  }

  /** Audits every pending request as unanswered (shutdown). */
  flush(reason: 'shutdown' = 'shutdown'): void {
    for (const [key, p] of this.#pending) {
      this.#pending.delete(key);
      this.#emitMissing(p, reason, performance.now());
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    this.flush();
  }

  #observe(ctx: MessageContext, outcome: PipelineOutcome): void | Promise<void> {
    const decision = decisionFor(ctx);
    if (decision?.audit.level === 'none' && outcome.action === 'forward') return undefined;
    const kind = ctx.summary.kind;
    if (kind === 'response') return this.#onResponse(ctx, outcome);
    const facts = this.#requestFacts(ctx, decision?.audit.level === 'metadata');
    if (outcome.action === 'reject') {
      return this.#emit({ ...facts, ...refusal(outcome), outcome: 'failure', durationMs: performance.now() - ctx.receivedAt, message: `${facts.method ?? 'message'} refused: ${outcome.error.code}` });
    }
    // Forwarded. Only a client request gets paired with its response.
    if (kind === 'request' && ctx.direction === 'to_server') {
      this.#pending.set(ctx, { facts, receivedAt: ctx.receivedAt });
      if (this.#pending.size > this.#opts.maxPending) {
        const [oldestKey, oldest] = this.#pending.entries().next().value as [MessageContext, Pending];
        this.#pending.delete(oldestKey);
        this.#emitMissing(oldest, 'evicted', performance.now());
      }
      return undefined;
    }
    void this.#emit({ ...facts, outcome: 'success', message: `${facts.method ?? 'message'} ${kind === 'request' ? 'request to client' : 'notification'} forwarded` });
    return undefined;
  }

  #onResponse(ctx: MessageContext, outcome: PipelineOutcome): void | Promise<void> {
    const now = performance.now();
    const req = ctx.request;
    const pending = req === undefined ? undefined : this.#pending.get(req);
    if (req !== undefined && pending !== undefined) this.#pending.delete(req);
    // A client's answer to a server→client request is audited only when refused (the request was).
    if (ctx.direction === 'to_server' && outcome.action === 'forward' && (req === undefined || req.direction === 'to_client')) return undefined;
    // The facts are this event's own (the pending entry is gone, or they are new): completed in
    // place rather than copied — this runs for every response (see bench/audit.bench.ts).
    const facts: Mutable<ExchangeFacts> =
      pending?.facts ??
      (req !== undefined
        ? Object.assign(this.#requestFacts(req, true), { late: true })
        : { ...this.#connectionFacts(ctx), eventCode: 'mcp.message', direction: ctx.direction, messageKind: 'response', jsonrpcId: ctx.summary.id, startedAt: toEpoch(ctx.receivedAt), outcome: 'unknown', message: '' });
    const msg = ctx.message;
    const rpcCode = isFailure(msg) ? msg.error.code : undefined;
    const evidence = evidenceOf(ctx);
    const started = pending?.receivedAt ?? req?.receivedAt ?? ctx.receivedAt;
    facts.sessionId ??= ctx.connection.sessionId;
    facts.protocolVersion ??= ctx.connection.protocolVersion;
    facts.durationMs = now - started;
    if (rpcCode !== undefined) facts.jsonrpcErrorCode = rpcCode;
    if (evidence !== undefined) facts.redaction = evidence;
    if (outcome.action === 'reject') Object.assign(facts, refusal(outcome));
    facts.outcome = outcome.action === 'reject' || ctx.summary.isError ? 'failure' : 'success';
    facts.message = describe(facts.method, outcome, ctx.summary.isError, rpcCode);
    return this.#emit(facts);
  }

  #connectionFacts(ctx: MessageContext): Omit<ExchangeFacts, 'eventCode' | 'startedAt' | 'outcome' | 'message' | 'source'> & { source: 'exchange' } {
    const c = ctx.connection;
    return {
      source: 'exchange',
      principal: auditPrincipal(c.principal),
      clientIp: c.clientIp,
      userAgent: c.userAgent,
      transport: c.transport,
      upstream: c.upstream,
      sessionId: c.sessionId,
      protocolVersion: c.protocolVersion,
      decisionId: ctx.decisionId,
    };
  }

  #requestFacts(ctx: MessageContext, metadataOnly: boolean): Mutable<ExchangeFacts> {
    const s = ctx.summary;
    const c = ctx.connection;
    const decision = decisionFor(ctx);
    let argsDigest: string | undefined;
    let args: unknown;
    if (!metadataOnly && 'params' in ctx.message) {
      const a = argumentsOf(ctx.message.params);
      argsDigest = argumentsDigest(a);
      if (this.#opts.arguments === 'redacted' && a !== undefined) args = redactArguments(a);
    }
    // One literal, no spreads (an absent fact is an undefined member: every reader treats them alike).
    return {
      source: 'exchange',
      principal: auditPrincipal(c.principal),
      clientIp: c.clientIp,
      userAgent: c.userAgent,
      transport: c.transport,
      upstream: c.upstream,
      sessionId: c.sessionId,
      protocolVersion: c.protocolVersion,
      decisionId: ctx.decisionId,
      eventCode: s.kind === 'request' && ctx.direction === 'to_server' ? 'mcp.exchange' : 'mcp.message',
      direction: ctx.direction,
      messageKind: s.kind,
      method: s.method,
      jsonrpcId: s.id,
      tool: s.tool,
      resourceUri: s.resourceUri,
      prompt: s.prompt,
      argsDigest,
      args,
      decision,
      startedAt: toEpoch(ctx.receivedAt),
      outcome: 'unknown',
      message: '',
    };
  }

  #expire(now: number): void {
    for (const [key, p] of this.#pending) {
      if (now - p.receivedAt < this.#opts.timeoutMs) break; // insertion order: the rest are younger
      this.#pending.delete(key);
      this.#emitMissing(p, 'timeout', now);
    }
  }

  #emitMissing(p: Pending, reason: 'timeout' | 'evicted' | 'shutdown', now: number): void {
    void this.#emit({ ...p.facts, outcome: 'unknown', responseMissing: reason, durationMs: now - p.receivedAt, statusDetail: `no response seen (${reason})`, message: `${p.facts.method ?? 'request'} forwarded, no response seen (${reason})` });
  }

  #emit(facts: ExchangeFacts): void | Promise<void> {
    try {
      return this.#opts.emit(facts);
    } catch (err) {
      this.#opts.onError(err);
      return undefined;
    }
  }
}

function refusal(outcome: PipelineOutcome & { action: 'reject' }): Pick<ExchangeFacts, 'wardenCode' | 'refusedBy' | 'jsonrpcErrorCode' | 'statusDetail'> {
  // The catalogue message, never `detail` (which may name a hidden tool or an internal address).
  return { wardenCode: outcome.error.code, refusedBy: outcome.stage, jsonrpcErrorCode: outcome.error.jsonrpcCode, statusDetail: outcome.error.message };
}

function describe(method: string | undefined, outcome: PipelineOutcome, isError: boolean, rpcCode: number | undefined): string {
  const m = method ?? 'response';
  if (outcome.action === 'reject') return `${m} response refused: ${outcome.error.code}`;
  if (rpcCode !== undefined) return `${m} answered with JSON-RPC error ${rpcCode}`;
  return isError ? `${m} answered with a tool error` : `${m} completed`;
}
