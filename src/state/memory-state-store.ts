import type { StateStore } from './state-store.ts';

interface Entry {
  value: string;
  expiresAt: number; // Infinity when no TTL
}

/** How often, at most, a write also sweeps out every expired entry. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The default StateStore: one process. Expiry is checked on read, and expired entries that are
 * never read again are swept out during writes (at most once a minute), so that keys with a TTL
 * (session bindings, rate-limit counters) do not accumulate in memory.
 */
export class MemoryStateStore implements StateStore {
  readonly #entries = new Map<string, Entry>();
  /** Bounded sets: key → member → expiry. */
  readonly #sets = new Map<string, Map<string, number>>();
  readonly #now: () => number;
  #lastSweep: number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#lastSweep = now();
  }

  /** Entries and sets held in memory, expired or not (for tests of the sweep). */
  get size(): number {
    return this.#entries.size + this.#sets.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #expiry(ttlMs: number | undefined): number {
    return ttlMs === undefined ? Infinity : this.#now() + ttlMs;
  }

  #write(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
    this.#sweepIfDue();
  }

  #sweepIfDue(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    for (const [key, members] of this.#sets) {
      for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
      if (members.size === 0) this.#sets.delete(key);
    }
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#write(key, { value, expiresAt: this.#expiry(ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#write(key, { value, expiresAt: this.#expiry(ttlMs) });
    return true;
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    entry.expiresAt = this.#expiry(ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#write(key, { value: String(by), expiresAt: this.#expiry(ttlMs) });
      return by;
    }
    const next = Number(entry.value) + by;
    entry.value = String(next);
    return next;
  }

  async addToBoundedSet(key: string, member: string, limit: number, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    let members = this.#sets.get(key);
    if (members === undefined) {
      members = new Map();
      this.#sets.set(key, members);
    }
    if (!members.has(member) || members.get(member)! <= now) {
      members.delete(member);
      let live = 0;
      for (const [m, expiresAt] of members) {
        if (expiresAt <= now) members.delete(m);
        else live++;
      }
      if (live >= limit) return false;
    }
    members.set(member, now + ttlMs);
    this.#sweepIfDue();
    return true;
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    const members = this.#sets.get(key);
    if (members === undefined) return;
    members.delete(member);
    if (members.size === 0) this.#sets.delete(key);
  }

  async setSize(key: string): Promise<number> {
    const now = this.#now();
    let live = 0;
    for (const expiresAt of this.#sets.get(key)?.values() ?? []) if (expiresAt > now) live++;
    return live;
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const key of this.#entries.keys()) if (key.startsWith(prefix) && this.#live(key) !== undefined) out.push(key);
    return out;
  }
}
