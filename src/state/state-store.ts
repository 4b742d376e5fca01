/**
 * The one place where state that must be shared across replicas lives (DESIGN.md, scale-out):
 * session → principal bindings, edit mode, tool pins, rate-limit counters. In-memory by default;
 * a shared store implements the same interface later. Keys are namespaced by the caller
 * (`session:`, `sessions-of:`, `edit:`, `pin:`, `ratelimit:`).
 */
export interface StateStore {
  get(key: string): Promise<string | undefined>;
  /** Set with an optional time-to-live in milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Set only if absent; returns true if this call set it (atomic claim, e.g. a session binding). */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Restarts the time-to-live of a live key (a sliding expiry); false when the key is gone. */
  touch(key: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Atomically add `by` to a counter that expires `ttlMs` after it was created; returns the new value. */
  increment(key: string, by: number, ttlMs: number): Promise<number>;
  /**
   * A bounded set whose members each expire `ttlMs` after they were last added. Atomically adds
   * (or refreshes) `member` unless the set already holds `limit` other live members; returns true
   * when `member` is in the set afterwards. (A shared store: a sorted set scored by expiry.)
   */
  addToBoundedSet(key: string, member: string, limit: number, ttlMs: number): Promise<boolean>;
  removeFromSet(key: string, member: string): Promise<void>;
  /** Live members of a bounded set. */
  setSize(key: string): Promise<number>;
  /** Keys with this prefix (admin listings; not for hot paths). */
  keys(prefix: string): Promise<string[]>;
}
