import type { JsonRpcId } from '../jsonrpc/message.ts';
import type { Direction, MessageContext } from '../pipeline/exchange-context.ts';

/**
 * Remembers requests that were forwarded so that the response knows the request it answers
 * (policy filters a tools/list reply; audit pairs request and response). One correlator per
 * session, legacy SSE session or WebSocket connection. Bounded: oldest entries are evicted past
 * `maxPending`, and entries older than `ttlMs` are forgotten (a response after that is treated as
 * uncorrelated, which policy handles as a response to an unknown request; one that carries a list
 * is refused, see src/policy/unpaired-list-reply.ts).
 */
export class Correlator {
  readonly #pending = new Map<string, { ctx: MessageContext; at: number }>();
  readonly #maxPending: number;
  readonly #ttlMs: number;

  constructor(maxPending = 1024, ttlMs = 15 * 60_000) {
    this.#maxPending = maxPending;
    this.#ttlMs = ttlMs;
  }

  static #key(direction: Direction, id: JsonRpcId): string {
    // Numbers and strings are different ids in JSON-RPC: 1 and "1" must not collide.
    return `${direction}|${typeof id}|${id}`;
  }

  remember(ctx: MessageContext): void {
    const id = ctx.summary.id;
    if (ctx.summary.kind !== 'request' || id === undefined || id === null) return;
    const key = Correlator.#key(ctx.direction, id);
    this.#pending.delete(key);
    this.#pending.set(key, { ctx, at: Date.now() });
    if (this.#pending.size > this.#maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
  }

  /** True while a request with this id, sent in this direction, awaits its response. */
  has(direction: Direction, id: JsonRpcId): boolean {
    return this.#pending.has(Correlator.#key(direction, id));
  }

  /** The request a response travelling in `responseDirection` answers, removed from the map. */
  take(responseDirection: Direction, id: JsonRpcId | null | undefined): MessageContext | undefined {
    if (id === undefined || id === null) return undefined;
    const requestDirection: Direction = responseDirection === 'to_client' ? 'to_server' : 'to_client';
    const key = Correlator.#key(requestDirection, id);
    const entry = this.#pending.get(key);
    if (entry === undefined) return undefined;
    this.#pending.delete(key);
    if (Date.now() - entry.at > this.#ttlMs) return undefined;
    return entry.ctx;
  }

  get size(): number {
    return this.#pending.size;
  }
}
