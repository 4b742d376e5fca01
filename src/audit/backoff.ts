/**
 * Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS architecture blog):
 * the n-th retry waits a random time in [0, min(cap, initial·2^n)], so that many replicas retrying
 * against one SIEM do not synchronise. A destination's Retry-After wins when it asks for longer.
 */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(initialMs / 2, Math.floor(random() * ceiling));
}

export function retryDelayMs(attempt: number, initialMs: number, maxMs: number, retryAfter: number | undefined, random?: () => number): number {
  const computed = backoffMs(attempt, initialMs, maxMs, random);
  return retryAfter === undefined ? computed : Math.max(computed, Math.min(retryAfter, Math.max(maxMs, retryAfter)));
}
