import { cardNumberValid } from './checksums.ts';
import { regexDetector } from './regex-detector.ts';

/**
 * Payment card numbers: 12-19 digits, contiguous or in groups separated by one consistent space or
 * hyphen, with a real issuer prefix and length, passing Luhn. Not inside a longer token (hex
 * hashes, identifiers) and not followed by `.digit` (decimals, versions). The first group has at
 * least three digits, as in every card layout: so `12 4111 1111 1111 1111` is not read as one
 * refused 18-digit candidate that hides the card after it, and V8 skips text faster.
 */
const CARD = /(?<![\w.+\-/])\d{3}(?:[ -]?\d){9,16}(?![\w\-/]|[.,]\d)/g;

export const cardDetector = regexDetector('CREDIT_CARD', 90, CARD, (m) => {
  const raw = m[0];
  // One pass, no split: this runs for every candidate, up to ~50 000 in a megabyte of digits.
  // Card layouts group by 4 (Visa, MC), 4-6-5 (Amex), 4-6-4 (Diners): no group over 6, none under
  // 3 but the last, one separator throughout.
  let sep = -1;
  let group = 0;
  let longest = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      group++;
      continue;
    }
    if (sep === -1) sep = c;
    else if (c !== sep) return null; // mixed separators
    if (group < 3) return null;
    longest = Math.max(longest, group);
    group = 0;
  }
  if (sep !== -1 && Math.max(longest, group) > 6) return null;
  return cardNumberValid(raw, sep) ? [m.index, m.index + raw.length] : null;
});
