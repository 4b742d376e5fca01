import type { Detector, Finding } from '../finding.ts';
import { IBAN_LENGTHS, ibanChecksumValid } from './checksums.ts';

/**
 * IBAN: country code, two check digits, then the BBAN, contiguous or in space-separated groups
 * (the printed form). The candidate may run past the IBAN into the next word, so the end is
 * recomputed from the country's registered length, then checked: mod 97 and a word boundary.
 * The scan resumes where the IBAN ends, not where the candidate did: the next IBAN may start there
 * (`GB82 WEST … 32 DE89 3704 …`).
 */
const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}/g;

/** IBAN_LENGTHS by the two letters of the country code, as (A-Z index) * 26 + (A-Z index); 0 if none. */
const LENGTH_BY_COUNTRY = new Uint8Array(26 * 26);
for (const [country, length] of Object.entries(IBAN_LENGTHS)) LENGTH_BY_COUNTRY[(country.charCodeAt(0) - 65) * 26 + country.charCodeAt(1) - 65] = length;

/** One pass over the candidate, no strings built: this runs for every candidate in the text. */
function ibanAt(m: RegExpExecArray, text: string): readonly [number, number] | null {
  const raw = m[0];
  // the regex guarantees two ASCII letters: fold to upper case
  const want = LENGTH_BY_COUNTRY[((raw.charCodeAt(0) & 0xdf) - 65) * 26 + (raw.charCodeAt(1) & 0xdf) - 65] as number;
  if (want === 0) return null;
  // Lower case is accepted only when the whole IBAN is (a mixed-case run is an identifier).
  let n = 0;
  let end = m.index;
  let lower = false;
  let upper = false;
  for (let i = 0; i < raw.length && n < want; i++) {
    const c = raw.charCodeAt(i);
    end = m.index + i + 1;
    if (c === 32) continue;
    n++;
    if (c >= 97) lower = true;
    else if (c >= 65) upper = true;
  }
  if (n !== want || (lower && upper)) return null;
  const next = text.charCodeAt(end);
  if ((next >= 48 && next <= 57) || ((next | 0x20) >= 97 && (next | 0x20) <= 122)) return null;
  return ibanChecksumValid(text, m.index, end) ? [m.index, end] : null;
}

export const ibanDetector: Detector = {
  type: 'IBAN_CODE',
  priority: 80,
  scan(text: string, out: Finding[]): void {
    const re = IBAN;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const r = ibanAt(m, text);
      if (r === null) continue;
      out.push({ type: 'IBAN_CODE', start: r[0], end: r[1] });
      re.lastIndex = r[1];
    }
  },
};
