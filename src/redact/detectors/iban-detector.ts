import { IBAN_LENGTHS, ibanChecksumValid } from './checksums.ts';
import { regexDetector } from './regex-detector.ts';

/**
 * IBAN: country code, two check digits, then the BBAN, contiguous or in space-separated groups
 * (the printed form). The candidate may run past the IBAN into the next word, so the end is
 * recomputed from the country's registered length, then checked: mod 97 and a word boundary.
 */
const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}/g;

export const ibanDetector = regexDetector('IBAN_CODE', 80, IBAN, (m, text) => {
  const raw = m[0];
  const country = raw.slice(0, 2).toUpperCase();
  const want = IBAN_LENGTHS[country];
  if (want === undefined) return null;
  // Lower case is accepted only when the whole IBAN is (a mixed-case run is an identifier).
  let compact = '';
  let end = m.index;
  for (let i = 0; i < raw.length && compact.length < want; i++) {
    const ch = raw[i] as string;
    end = m.index + i + 1;
    if (ch !== ' ') compact += ch;
  }
  if (compact.length !== want) return null;
  const next = text.charCodeAt(end);
  if (next === next && /[A-Za-z0-9]/.test(String.fromCharCode(next))) return null;
  const upper = compact.toUpperCase();
  if (compact !== upper && compact !== compact.toLowerCase()) return null;
  return ibanChecksumValid(upper) ? [m.index, end] : null;
});
