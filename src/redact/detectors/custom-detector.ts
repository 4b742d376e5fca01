import { RE2 } from 're2-wasm';
import type { Detector, Finding } from '../finding.ts';

/**
 * Custom patterns from the config run on RE2 (WebAssembly): linear time whatever the pattern or
 * input, so a pattern cannot hang the proxy (no catastrophic backtracking). RE2 refuses what it
 * cannot run in linear time (backreferences, lookaround); that refusal is a config error.
 *
 * re2-wasm copies its whole input into WebAssembly memory on every call (~20 µs plus the copy), so
 * a long string with many matches would be quadratic. The text is therefore probed in 64 KB blocks
 * and only blocks that match are searched, in 1 KB segments that overlap by OVERLAP characters
 * (a custom match longer than that may be cut short). After MAX_MATCHES matches in one string the
 * rest of the string is redacted as that type: the cost stays bounded and nothing leaks.
 */
const BLOCK = 64 * 1024;
const SEGMENT = 1024;
const OVERLAP = 256;
export const MAX_CUSTOM_MATCHES = 512;

export function compileCustomPattern(pattern: string, ignoreCase: boolean): { re?: RE2; error?: string } {
  try {
    const re = new RE2(pattern, ignoreCase ? 'giu' : 'gu');
    if (re.test('')) return { error: 'it matches the empty string' };
    return { re };
  } catch (err) {
    return { error: (err as Error).message.replace(/^Invalid regular expression: /, '') };
  }
}

export function customDetector(type: string, pattern: string, ignoreCase: boolean): Detector {
  const { re, error } = compileCustomPattern(pattern, ignoreCase);
  if (re === undefined) throw new Error(`redaction.custom ${type}: pattern refused: ${error}`);
  const probe = new RE2(pattern, ignoreCase ? 'iu' : 'u');

  /** Matches starting in [from, to) of `text`, appended to `out`; false once the cap is reached. */
  const search = (text: string, from: number, to: number, out: Finding[], count: { n: number }): boolean => {
    const segment = text.slice(from, Math.min(text.length, to + OVERLAP));
    const astral = /[\uD800-\uDBFF]/.test(segment);
    re.lastIndex = 0;
    let cp = 0;
    let unit = 0;
    let m;
    while ((m = re.exec(segment)) !== null) {
      const len = (m[0] ?? '').length;
      if (len === 0) break;
      // re2-wasm reports match indices in code points; RegExp and our findings use UTF-16 units
      if (astral) {
        while (cp < m.index) {
          const c = segment.charCodeAt(unit);
          unit += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
          cp++;
        }
      } else unit = m.index;
      if (from + unit >= to) break; // the next segment owns it
      if (++count.n > MAX_CUSTOM_MATCHES) {
        out.push({ type, start: from + unit, end: text.length });
        return false;
      }
      out.push({ type, start: from + unit, end: from + unit + len });
    }
    return true;
  };

  return {
    type,
    priority: 70,
    scan(text: string, out: Finding[]): void {
      if (text.length <= SEGMENT) {
        search(text, 0, text.length, out, { n: 0 });
        return;
      }
      const count = { n: 0 };
      for (let b = 0; b < text.length; b += BLOCK) {
        const blockEnd = Math.min(text.length, b + BLOCK);
        if (!probe.test(text.slice(b, Math.min(text.length, blockEnd + OVERLAP)))) continue;
        for (let s = b; s < blockEnd; s += SEGMENT) {
          if (!search(text, s, Math.min(blockEnd, s + SEGMENT), out, count)) return;
        }
      }
    },
  };
}
