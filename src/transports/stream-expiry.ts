import type { Principal } from '../pipeline/principal.ts';

/**
 * Ends a long-lived stream when the credential that opened it expires (issue 4: a token that
 * expires during an SSE or WebSocket stream ends the stream). Returns a canceller.
 */
export function endAtExpiry(principal: Principal, end: () => void): () => void {
  if (principal.expiresAt === undefined) return () => {};
  const ms = principal.expiresAt * 1000 - Date.now();
  if (ms <= 0) {
    end();
    return () => {};
  }
  // setTimeout cannot wait more than ~24.8 days; a credential living longer is re-checked then.
  const timer = setTimeout(end, Math.min(ms, 2 ** 31 - 1));
  timer.unref();
  return () => clearTimeout(timer);
}
