import { Correlator } from './correlator.ts';

/** What mcp-warden keeps per upstream session it has seen opened through itself. */
export interface SessionState {
  readonly correlator: Correlator;
  /** Protocol version negotiated by initialize. */
  protocolVersion: string | undefined;
  lastSeen: number;
}

/**
 * Sessions opened through this process, bounded in count (least recently used evicted) and idle
 * time. A session id not in this table is refused as unknown (404) and never forwarded: a session
 * mcp-warden did not see opened has no principal binding to check, so it fails closed; the MCP
 * spec tells clients to re-initialize on 404.
 */
export class SessionTable {
  readonly #sessions = new Map<string, SessionState>();
  readonly #max: number;
  readonly #idleMs: number;
  readonly #onForget: (key: string) => void;

  /** `onForget`: told of every session dropped here by eviction or idleness (not by `delete`). */
  constructor(max = 10_000, idleMs = 60 * 60_000, onForget: (key: string) => void = () => {}) {
    this.#max = max;
    this.#idleMs = idleMs;
    this.#onForget = onForget;
  }

  /** `correlator`: the one the opening request was remembered in, so that its reply is paired. */
  open(key: string, protocolVersion: string | undefined, correlator: Correlator = new Correlator()): SessionState {
    const state: SessionState = { correlator, protocolVersion, lastSeen: Date.now() };
    this.#sessions.set(key, state);
    if (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) {
        this.#sessions.delete(oldest);
        this.#onForget(oldest);
      }
    }
    return state;
  }

  get(key: string): SessionState | undefined {
    const state = this.#sessions.get(key);
    if (state === undefined) return undefined;
    const now = Date.now();
    if (now - state.lastSeen > this.#idleMs) {
      this.#sessions.delete(key);
      this.#onForget(key);
      return undefined;
    }
    state.lastSeen = now;
    // Re-insert to keep Map order = recency order for eviction.
    this.#sessions.delete(key);
    this.#sessions.set(key, state);
    return state;
  }

  delete(key: string): void {
    this.#sessions.delete(key);
  }

  get size(): number {
    return this.#sessions.size;
  }
}
