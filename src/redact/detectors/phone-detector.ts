import type { Detector, Finding } from '../finding.ts';

/**
 * Phone numbers in international and national formats.
 *
 * A candidate is a run of digits joined by single separators (space, dot, hyphen, slash,
 * parentheses), optionally led by `+` and followed by an extension (`x123`, `ext. 12`). It is a
 * phone number without further evidence when its shape is unambiguous: E.164 with `+` (8-15
 * digits) or the North American `(NXX) NXX-XXXX` family. Other national forms (`0490 75 40 81`,
 * `467 3395`) look like many other numbers, so they need a phone word nearby ("phone", "mobile",
 * "call me at", "fax", …). Dates and times are refused first.
 */
/**
 * Anchor: seven digits, each pair at most two separator characters apart (a phone number has at
 * least seven). Most numbers in tool output never get this far. The separator class and `\d` are
 * disjoint, so the pattern cannot backtrack more than a constant.
 */
const START = /\d(?:[ ().\-/]{0,2}\d){6}/g;
const MAX_RUN = 32;

const NANP = /^(?:(?:\+ ?1|001|1)[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}$/;
const DATE_LIKE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$|\d{1,2}[-/.]\d{4}$|\d{4}[-/.]\d{1,2}$)/;
const CONTEXT_BEFORE = /(?:phone|tel|telephone|mobile|mob|cell|cellphone|fax|desk|office|landline|hotline|whatsapp|sms|call|calls|called|calling|dial|ring|reach|reached|contact|answering|messages?|registered|ph|tlf|tél|telefon|numéro|número)\b[^\n]{0,30}$/i;
const CONTEXT_BEFORE_LINE = /(?:phone|tel|mobile|mob|cell|fax|desk|office|contact)\s*[:#.]?\s*$/i;
/** Either of the two above, in one pass over the window (most candidates have no context). */
const CONTEXT_BEFORE_ANY = new RegExp(`${CONTEXT_BEFORE.source}|${CONTEXT_BEFORE_LINE.source}`, 'i');
const CONTEXT_AFTER = /^[\s\-,;:()\\]{0,3}(?:phone|tel|mobile|mob|cell|fax|desk|office|home|work)\b/i;
const EXTENSION = /^ ?(?:x|ext\.?|extension|#) ?\d{1,6}/i;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

let runDigits = 0; // digits seen by the last runEnd call (saves a second pass)

/** Extends a candidate from `start` over digits and single separators; returns the end (exclusive). */
function runEnd(text: string, start: number): number {
  let i = start;
  runDigits = 0;
  let lastDigitEnd = start;
  const limit = Math.min(text.length, start + MAX_RUN);
  let open = false;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      i++;
      runDigits++;
      lastDigitEnd = i;
      continue;
    }
    if (c === 43 && i === start) { i++; continue; } // +
    if (c === 32 && text.charCodeAt(i + 1) === 40) { i++; continue; } // ' ('
    if (c === 40 && !open) { open = true; i++; continue; } // (
    if (c === 41 && open) { // )
      open = false;
      i++;
      if (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 45 || text.charCodeAt(i) === 46) i++;
      continue;
    }
    if ((c === 32 || c === 45 || c === 46 || c === 47) && isDigit(text.charCodeAt(i + 1))) { i++; continue; }
    break;
  }
  return lastDigitEnd;
}

/** Characters that make a digit run part of something else (`x12…`, `1.2…`, `a/1…`, `-1…`). */
function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 43 || c === 46 || c === 45 || c === 47 || c === 40 || c === 41;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

// Cheap necessary conditions checked before the regexes: every candidate in the text gets here.

/** DATE_LIKE needs a date separator after one, two or four digits. */
function mayBeDate(run: string): boolean {
  return isDateSeparator(run.charCodeAt(1)) || isDateSeparator(run.charCodeAt(2)) || isDateSeparator(run.charCodeAt(4));
}

function isDateSeparator(c: number): boolean {
  return c === 45 || c === 47 || c === 46;
}

/** EXTENSION starts with x, ext… or #, after at most one space. */
function mayBeExtension(text: string, end: number): boolean {
  const c = text.charCodeAt(text.charCodeAt(end) === 32 ? end + 1 : end);
  return c === 120 || c === 88 || c === 101 || c === 69 || c === 35;
}

function oneRepeatedDigit(text: string, start: number, end: number): boolean {
  let first = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    if (first === -1) first = c;
    else if (c !== first) return false;
  }
  return true;
}

/** Where the anchor that ends at `end` starts: its seventh digit counted backwards. */
function anchorStart(text: string, end: number): number {
  let i = end;
  for (let digits = 0; digits < 7; ) if (isDigit(text.charCodeAt(--i))) digits++;
  return i;
}

function hasContext(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 40), start);
  if (CONTEXT_BEFORE_ANY.test(before)) return true;
  return CONTEXT_AFTER.test(text.slice(end, end + 16));
}

export const phoneDetector: Detector = {
  type: 'PHONE_NUMBER',
  priority: 40,
  scan(text: string, out: Finding[]): void {
    const re = START;
    re.lastIndex = 0;
    // test(), not exec(): no match array per anchor. The anchor holds exactly seven digits, so
    // its start is the seventh digit counted back from its end.
    while (re.test(text)) {
      let start = anchorStart(text, re.lastIndex);
      // the anchor starts at a digit: take in a leading `(` or `+` / `+ ` of the same number
      const p1 = text.charCodeAt(start - 1);
      if (p1 === 40) start--;
      else if (p1 === 43) start--;
      else if (p1 === 32 && text.charCodeAt(start - 2) === 43) start -= 2;
      let end = runEnd(text, start);
      re.lastIndex = Math.max(end, start + 1);
      if (start > 0 && isTokenChar(text.charCodeAt(start - 1))) continue; // inside a longer token
      if (runDigits < 7 || runDigits > 16) continue; // most numbers in tool output stop here
      const next = text.charCodeAt(end);
      // part of a longer token (12ab, 1.5.x, a path), unless it is an extension (x204, ext. 12, #3)
      const extStart = next === 120 || next === 88 || next === 101 || next === 69 || next === 35 || next === 32;
      if ((isWordChar(next) || next === 47) && !(extStart && EXTENSION.test(text.slice(end, end + 12)))) continue;
      if (next === 46 && isDigit(text.charCodeAt(end + 1))) continue;
      const digits = runDigits;
      if (digits > 15) continue;
      // A run of bare digits is no date and no NANP form (both need separators): no slice for it.
      const bare = end - start === digits;
      const run = bare ? '' : text.slice(start, end);
      if (!bare && mayBeDate(run) && DATE_LIKE.test(run)) continue;
      const ext = extStart && mayBeExtension(text, end) ? EXTENSION.exec(text.slice(end, end + 12)) : null;
      const strong = !bare && ((run.startsWith('+') && digits >= 8) || NANP.test(run));
      if (!strong) {
        if (digits > 13) continue;
        if (oneRepeatedDigit(text, start, end)) continue; // 000 0000
        if (!hasContext(text, start, end + (ext === null ? 0 : ext[0].length))) continue;
      }
      if (ext !== null) end += ext[0].length;
      out.push({ type: 'PHONE_NUMBER', start, end });
      re.lastIndex = end;
    }
  },
};
