import type { Detector, Finding } from '../finding.ts';
import type { Refine } from './regex-detector.ts';

/** What every match of an assignment pattern looks like before its operator. */
export interface AssignmentShape {
  /** Lower-case words one of which every name ends with (`client_secret` ends with `secret`). */
  readonly nameEnds: readonly string[];
  /** Length of the shortest and the longest name the pattern accepts. */
  readonly minName: number;
  readonly maxName: number;
  /** The pattern starts with `(?<![A-Za-z0-9])`: a name never starts right after one of those. */
  readonly wordStart: boolean;
}

/**
 * A detector for patterns of the form `NAME["']?\s{0,4}(:|=)…` (`password = …`, `"api_key": …`),
 * case-insensitive. A case-insensitive list of names defeats V8's fast skipping, so the scan runs
 * the other way round: `indexOf` finds each `:` and `=`, the name must end just before it (after
 * an optional quote and at most four spaces) with one of `nameEnds`, and only then does the
 * pattern run, sticky, at the few places where that name can start.
 *
 * The findings are exactly those of the pattern run globally: every match has one operator that
 * follows its name, candidates are tried in text order, none inside the previous match.
 */
export function assignmentDetector(type: string, priority: number, shape: AssignmentShape, pattern: RegExp, refine: Refine): Detector {
  if (shape.nameEnds.some((w) => !/^[a-z]{3,}$/.test(w))) throw new Error(`detector ${type}: nameEnds must be 3+ lower-case letters`);
  const sticky = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'y');
  // The last three letters of each name end: one table look-up turns away almost every operator.
  const endings = new Uint8Array(1 << 15);
  for (const w of shape.nameEnds) endings[lastThreeLetters(w, w.length)] = 1;
  return {
    type,
    priority,
    scan(text: string, out: Finding[]): void {
      let resume = 0;
      let colon = text.indexOf(':');
      let equals = text.indexOf('=');
      while (colon !== -1 || equals !== -1) {
        let op: number;
        if (equals === -1 || (colon !== -1 && colon < equals)) {
          op = colon;
          colon = text.indexOf(':', op + 1);
        } else {
          op = equals;
          equals = text.indexOf('=', op + 1);
        }
        if (op < resume) continue;
        const end = nameEnd(text, op);
        if (end < shape.minName) continue;
        const key = lastThreeLetters(text, end);
        if (key < 0 || endings[key] === 0 || !endsWithWord(text, end, shape.nameEnds)) continue;
        for (let s = Math.max(resume, end - shape.maxName); s <= end - shape.minName; s++) {
          if (shape.wordStart && s > 0 && isAlphanumeric(text.charCodeAt(s - 1))) continue;
          sticky.lastIndex = s;
          const m = sticky.exec(text);
          if (m === null) continue;
          resume = s + m[0].length;
          const r = refine(m, text);
          if (r !== null && r[1] > r[0]) out.push({ type, start: r[0], end: r[1] });
          break;
        }
      }
    },
  };
}

/** Where a name followed by `["']?\s{0,4}` and the operator at `op` ends, or -1 if none can. */
function nameEnd(text: string, op: number): number {
  let q = op;
  while (q > 0 && op - q < 4 && isSpace(text.charCodeAt(q - 1))) q--;
  if (q > 0 && isSpace(text.charCodeAt(q - 1))) return -1; // more than four spaces
  const c = text.charCodeAt(q - 1);
  return c === 34 || c === 39 ? q - 1 : q;
}

/** The three letters before `end`, case-folded, as a 15-bit number; -1 if one is not a letter. */
function lastThreeLetters(text: string, end: number): number {
  let key = 0;
  for (let i = end - 3; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return -1;
    key = (key << 5) | (c - 96);
  }
  return key;
}

/** Case-insensitive (ASCII letters only, as a non-unicode `i` regex folds them) suffix test. */
function endsWithWord(text: string, end: number, words: readonly string[]): boolean {
  next: for (const w of words) {
    const start = end - w.length;
    if (start < 0) continue;
    for (let i = w.length - 1; i >= 0; i--) {
      if ((text.charCodeAt(start + i) | 0x20) !== w.charCodeAt(i)) continue next;
    }
    return true;
  }
  return false;
}

function isAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The characters of the regex class `\s`. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
