import type { Detector, Finding } from '../finding.ts';
import { ssnNumbersValid } from './checksums.ts';

/**
 * US Social Security numbers, excluding ranges that are never issued (area 000, 666, 900-999,
 * group 00, serial 0000):
 * - printed as AAA-GG-SSSS (hyphens or spaces, used consistently): taken wherever it appears;
 * - nine bare digits: far too common (order numbers, ids, timestamps) to be an SSN on their own,
 *   so only taken after a word that says so (`SSN`, `social security number`, `ss#`, …) on the
 *   same line, at most 24 characters before, with no other value in between (no digit, `,`, `;`).
 */
const SSN = /(?<![\w.\-/])\d{3}(?:([- ])\d{2}\1|\d{2})\d{4}(?![\w\-/]|[.,]\d)/g; // 11 or 9 characters

/**
 * Matches (sticky, at the number) when an SSN word ends shortly before it. The lookbehind reads
 * backwards from the number over at most 24 characters, so it costs little where there is no word.
 */
const SSN_CONTEXT = new RegExp(
  '(?<=(?<![A-Za-z])' +
    '(?:ssns?|social[ _-]?security(?:[ _-]?(?:numbers?|nums?|nos?\\.?|#))?|soc\\.? ?sec\\.?(?: ?(?:numbers?|nos?\\.?|#))?|ss ?#|ss[ _-]?nos?\\.?)' +
    '(?![A-Za-z])[^\\n\\d,;]{0,24})',
  'iy',
);

export const ssnDetector: Detector = {
  type: 'US_SSN',
  priority: 85,
  scan(text: string, out: Finding[]): void {
    const re = SSN;
    re.lastIndex = 0;
    // test(), not exec(): no match array for each of up to ~90 000 numbers in a megabyte. The end
    // is lastIndex; the form (and so the start) is told by the fifth character from the end.
    while (re.test(text)) {
      const end = re.lastIndex;
      const printed = !isDigit(text.charCodeAt(end - 5));
      const start = end - (printed ? 11 : 9);
      const area = digitsAt(text, start, 3);
      const group = digitsAt(text, start + (printed ? 4 : 3), 2);
      const serial = digitsAt(text, start + (printed ? 7 : 5), 4);
      if (!ssnNumbersValid(area, group, serial)) continue;
      if (!printed) {
        if (!letterBefore(text, start)) continue;
        SSN_CONTEXT.lastIndex = start;
        if (!SSN_CONTEXT.test(text)) continue;
      }
      out.push({ type: 'US_SSN', start, end });
    }
  },
};

/**
 * A necessary condition for SSN_CONTEXT, checked first because most bare nine-digit numbers have
 * no word before them: a letter or `#` within reach, before any digit, `,`, `;` or line break.
 */
function letterBefore(text: string, start: number): boolean {
  for (let i = start - 1; i >= 0 && i >= start - 26; i--) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 10 || c === 44 || c === 59) return false;
    if (((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 35) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitsAt(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = v * 10 + text.charCodeAt(i) - 48;
  return v;
}
