import type { Detector, Finding, ScanMemo } from './finding.ts';

/**
 * Runs a set of detectors over one string and returns non-overlapping findings in text order.
 * Where two findings overlap, the higher priority wins, then the longer one (a card number is not
 * also a phone number; a JWT is not also a password value).
 */
export class Scanner {
  readonly #detectors: readonly Detector[];
  readonly #priority: ReadonlyMap<string, number>;
  readonly #memo: ScanMemo = new Map();

  constructor(detectors: readonly Detector[]) {
    this.#detectors = detectors;
    this.#priority = new Map(detectors.map((d) => [d.type, d.priority]));
  }

  get types(): readonly string[] {
    return this.#detectors.map((d) => d.type);
  }

  /** Findings for the detectors whose type `wanted` accepts (all when undefined). */
  scan(text: string, wanted?: ReadonlySet<string>): Finding[] {
    // Nothing below can match a string this short (the shortest is a 7-digit phone number).
    if (text.length < 6) return [];
    const found: Finding[] = [];
    try {
      for (const d of this.#detectors) {
        if (wanted !== undefined && !wanted.has(d.type)) continue;
        d.scan(text, found, this.#memo);
      }
    } finally {
      this.#memo.clear();
    }
    if (found.length <= 1) return found;
    if (!inTextOrder(found)) found.sort(textOrder); // one detector's findings usually already are
    const kept: Finding[] = [];
    for (const f of found) {
      const last = kept[kept.length - 1];
      if (last === undefined || f.start >= last.end) {
        kept.push(f);
        continue;
      }
      if (this.#beats(f, last)) {
        // the winner may overlap earlier kept findings too: drop them
        kept.pop();
        while (kept.length > 0 && (kept[kept.length - 1] as Finding).end > f.start && this.#beats(f, kept[kept.length - 1] as Finding)) kept.pop();
        const prev = kept[kept.length - 1];
        if (prev === undefined || prev.end <= f.start) kept.push(f);
      }
    }
    return kept;
  }

  #beats(a: Finding, b: Finding): boolean {
    const pa = this.#priority.get(a.type) ?? 0;
    const pb = this.#priority.get(b.type) ?? 0;
    if (pa !== pb) return pa > pb;
    return a.end - a.start > b.end - b.start;
  }
}

/** By start, then longest first. */
function textOrder(a: Finding, b: Finding): number {
  return a.start - b.start || b.end - a.end;
}

function inTextOrder(found: readonly Finding[]): boolean {
  for (let i = 1; i < found.length; i++) if (textOrder(found[i - 1] as Finding, found[i] as Finding) > 0) return false;
  return true;
}
