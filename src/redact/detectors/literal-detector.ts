import type { Detector, Finding } from '../finding.ts';
import { type Refine, regexDetector } from './regex-detector.ts';

/** A needle that every match contains `offset` characters after its start. */
export type Anchor = readonly [needle: string, offset: number];

/**
 * A detector for a pattern whose every match contains one of a few literal needles at a fixed
 * offset (`ghp_…` contains `gh` at 0, `sk_live_…` contains `_live_` at 2). `indexOf` finds the
 * needles far faster than a regex can try every position of the text (V8 searches for a rare first
 * character with memchr), and the pattern then runs sticky only where a match can start.
 *
 * The findings are exactly those of running the same pattern globally: every position where it
 * can match is a candidate, candidates are tried in text order, and none inside the previous
 * match (a global regex resumes at the end of its last match, refined away or not). Where the
 * needles are dense (`ghghgh…`), running the pattern globally is cheaper, and that is what runs.
 */
export function literalDetector(type: string, priority: number, anchors: readonly Anchor[], pattern: RegExp, refine?: Refine): Detector {
  const sticky = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'y');
  const whole = regexDetector(type, priority, pattern, refine);
  return {
    type,
    priority,
    scan(text: string, out: Finding[]): void {
      const starts = candidates(text, anchors, Math.max(64, text.length / DENSE));
      if (starts === undefined) return;
      if (starts === 'dense') {
        whole.scan(text, out);
        return;
      }
      let resume = 0;
      for (const s of starts) {
        if (s < resume) continue;
        sticky.lastIndex = s;
        const m = sticky.exec(text);
        if (m === null || m[0].length === 0) continue;
        resume = s + m[0].length;
        const r = refine === undefined ? ([s, resume] as const) : refine(m, text);
        if (r !== null && r[1] > r[0]) out.push({ type, start: r[0], end: r[1] });
      }
    },
  };
}

/** More candidates than one per DENSE characters: a sticky run at each would cost more. */
const DENSE = 32;

/** Where a match may start, ascending (undefined when no needle occurs: the common case). */
function candidates(text: string, anchors: readonly Anchor[], limit: number): number[] | 'dense' | undefined {
  let starts: number[] | undefined;
  for (const [needle, offset] of anchors) {
    for (let at = text.indexOf(needle, offset); at !== -1; at = text.indexOf(needle, at + 1)) {
      (starts ??= []).push(at - offset);
      if (starts.length > limit) return 'dense';
    }
  }
  if (starts !== undefined && anchors.length > 1) starts.sort((a, b) => a - b);
  return starts;
}
