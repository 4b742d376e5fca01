import { createHmac } from 'node:crypto';
import type { Finding } from './finding.ts';
import type { RedactionAction } from './redaction-config.ts';

/** Per entity type action lookup, compiled once from the config. */
export class ActionTable {
  readonly #byType: ReadonlyMap<string, RedactionAction>;
  readonly #fallback: RedactionAction;
  readonly #hashKey: Buffer | undefined;

  constructor(actions: Readonly<Record<string, RedactionAction>>, fallback: RedactionAction, hashKey: string | undefined) {
    this.#byType = new Map(Object.entries(actions));
    this.#fallback = fallback;
    this.#hashKey = hashKey === undefined ? undefined : Buffer.from(hashKey, 'utf8');
  }

  actionFor(type: string): RedactionAction {
    return this.#byType.get(type) ?? this.#fallback;
  }

  /**
   * The text that replaces one value. `drop` and `block` act on the message, not the string, but a
   * string under them is still masked, so nothing unredacted survives even where an item cannot be
   * dropped (an error message, `structuredContent`).
   */
  replacement(type: string, value: string): string {
    switch (this.actionFor(type)) {
      case 'partial': {
        // Keep the last 4 letters or digits, and only when at least 8 are hidden.
        const alnum = value.replace(/[^A-Za-z0-9]/g, '');
        return alnum.length >= 12 ? `[REDACTED:${type}:…${alnum.slice(-4)}]` : `[REDACTED:${type}]`;
      }
      case 'hash': {
        if (this.#hashKey === undefined) return `[REDACTED:${type}]`;
        // Keyed, so a dictionary of likely values cannot be hashed offline; stable, so analysts can
        // see that two messages carried the same value.
        const digest = createHmac('sha256', this.#hashKey).update(`${type}\u0000${value}`).digest('hex').slice(0, 16);
        return `[HASH:${type}:${digest}]`;
      }
      default:
        return `[REDACTED:${type}]`;
    }
  }

  /** `text` with every finding replaced (findings sorted and non-overlapping, as Scanner returns). */
  apply(text: string, findings: readonly Finding[]): string {
    let out = '';
    let at = 0;
    for (const f of findings) {
      out += text.slice(at, f.start) + this.replacement(f.type, text.slice(f.start, f.end));
      at = f.end;
    }
    return out + text.slice(at);
  }
}
