import type { Detector, Finding } from '../finding.ts';

/**
 * Narrows a regex match to the range to redact, or refuses it (validation). Returning a number
 * pair keeps the value itself out of every structure that outlives the scan.
 */
export type Refine = (match: RegExpExecArray, text: string) => readonly [number, number] | null;

/**
 * A detector from one global regex plus a validator. The regex must be written so that its work is
 * linear in the input: a literal or a narrow class first (so V8's quick checks skip most
 * positions), bounded quantifiers, no nested ambiguous repetition. Each pattern has an adversarial
 * test (test/unit/redact/adversarial.test.ts).
 */
export function regexDetector(type: string, priority: number, regex: RegExp, refine?: Refine): Detector {
  if (!regex.global) throw new Error(`detector ${type}: regex must be global`);
  return {
    type,
    priority,
    scan(text: string, out: Finding[]): void {
      const re = regex; // shared, but scan is synchronous: nothing else can move lastIndex meanwhile
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const r = refine === undefined ? ([m.index, m.index + m[0].length] as const) : refine(m, text);
        if (r !== null && r[1] > r[0]) out.push({ type, start: r[0], end: r[1] });
      }
    },
  };
}

/** The range of capture group `g` (the regex needs the `d` flag). */
export function groupRange(m: RegExpExecArray, g: number): readonly [number, number] | null {
  const r = m.indices?.[g];
  return r === undefined ? null : [r[0], r[1]];
}
