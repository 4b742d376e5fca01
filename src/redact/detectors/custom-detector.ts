import { RE2 } from 're2-wasm';
import type { Detector, Finding } from '../finding.ts';

/**
 * Custom patterns from the config run on RE2 (WebAssembly): linear time whatever the pattern or
 * input, so a pattern cannot hang the proxy (no catastrophic backtracking). RE2 refuses what it
 * cannot run in linear time (backreferences, lookaround); that refusal is a config error.
 *
 * re2-wasm copies its input into WebAssembly memory on every exec, so a long string with many
 * matches would be quadratic. Text is therefore matched one line at a time (a custom match does
 * not span a line break) and lines longer than SEGMENT are cut into segments; one `test` over the
 * whole string first keeps the common no-match case to a single pass.
 */
const SEGMENT = 4096;

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
  return {
    type,
    priority: 70,
    scan(text: string, out: Finding[]): void {
      if (!probe.test(text)) return;
      let lineStart = 0;
      while (lineStart < text.length) {
        let lineEnd = text.indexOf('\n', lineStart);
        if (lineEnd === -1) lineEnd = text.length;
        for (let s = lineStart; s < lineEnd; s += SEGMENT) {
          const e = Math.min(lineEnd, s + SEGMENT);
          const segment = text.slice(s, e);
          re.lastIndex = 0;
          // re2-wasm reports match indices in code points; RegExp and our findings use UTF-16 units
          const astral = /[\uD800-\uDBFF]/.test(segment);
          let cp = 0;
          let unit = 0;
          let m;
          while ((m = re.exec(segment)) !== null) {
            const len = (m[0] ?? '').length;
            if (len === 0) break;
            if (astral) {
              while (cp < m.index) {
                const c = segment.charCodeAt(unit);
                unit += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
                cp++;
              }
            } else unit = m.index;
            out.push({ type, start: s + unit, end: s + unit + len });
          }
        }
        lineStart = lineEnd + 1;
      }
    },
  };
}
