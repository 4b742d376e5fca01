import assert from 'node:assert/strict';

/**
 * The same scenario against several URLs of one upstream: `direct` (the peer itself) and, once
 * added, `mcp-warden` (the proxy in front of it). Integration tests build one table per peer in
 * `before`, run every scenario over the whole table and assert identical results.
 *
 *   targets.add('direct', peer.url);
 *   const warden = await startTestWarden({ upstreams: [{ name: 'up', url: peer.url, path: '/mcp' }] });
 *   targets.add('mcp-warden', warden.url('/mcp'), () => warden.close());
 */
export interface Target {
  readonly name: string;
  readonly url: string;
}

export class TargetTable {
  readonly #targets: Target[] = [];
  readonly #cleanups: (() => Promise<void>)[] = [];

  add(name: string, url: string, close?: () => Promise<void>): this {
    this.#targets.push({ name, url });
    if (close) this.#cleanups.push(close);
    return this;
  }

  get list(): readonly Target[] {
    return this.#targets;
  }

  /** Closes what `add` registered, newest first (a proxy before its upstream). */
  async closeAll(): Promise<void> {
    for (const close of this.#cleanups.reverse()) await close().catch(() => undefined);
    this.#cleanups.length = 0;
  }

  /**
   * Runs `scenario` on every target (one after another, so that a stateful upstream sees a
   * deterministic order), lets `check` assert on each result, then asserts that every target
   * produced exactly what the first one did. Returns the results by target name.
   */
  async expectSame<T>(scenario: (target: Target) => Promise<T>, check?: (result: T, target: Target) => void): Promise<Map<string, T>> {
    assert.ok(this.#targets.length > 0, 'no targets: add at least the direct one in before()');
    const results = new Map<string, T>();
    for (const target of this.#targets) {
      const result = await scenario(target);
      check?.(result, target);
      results.set(target.name, result);
    }
    const [first, ...rest] = this.#targets;
    for (const target of rest) {
      assert.deepStrictEqual(results.get(target.name), results.get(first!.name), `${target.name} must give the same result as ${first!.name}`);
    }
    return results;
  }
}
