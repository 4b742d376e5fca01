import type { StateStore } from '../state/state-store.ts';

/**
 * Bounds failed authentication per client address (issue 4): after `maxFailures` failures within
 * a fixed window, every request from that address gets 429 until the window ends. Counters live in
 * the StateStore so that replicas share them.
 */
export class FailureLimiter {
  readonly #state: StateStore;
  readonly #max: number;
  readonly #windowMs: number;

  constructor(state: StateStore, options: { maxFailures: number; windowS: number }) {
    this.#state = state;
    this.#max = options.maxFailures;
    this.#windowMs = options.windowS * 1000;
  }

  get windowS(): number {
    return this.#windowMs / 1000;
  }

  #key(clientIp: string): string {
    return `ratelimit:authn:${clientIp}`;
  }

  async blocked(clientIp: string): Promise<boolean> {
    const count = await this.#state.get(this.#key(clientIp));
    return count !== undefined && Number(count) >= this.#max;
  }

  /** Records a failure; returns true when this one reached the limit (audited once per window). */
  async fail(clientIp: string): Promise<boolean> {
    const count = await this.#state.increment(this.#key(clientIp), 1, this.#windowMs);
    return count === this.#max;
  }
}
