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
  const sep = raw.includes(' ') ? ' ' : raw.includes('-') ? '-' : '';
  if (sep !== '') {
    if (raw.includes(sep === ' ' ? '-' : ' ')) return null; // mixed separators
    const groups = raw.split(sep);
    // card layouts group by 4 (Visa, MC), 4-6-5 (Amex), 4-6-4 (Diners): no group under 3 but the last
    for (let i = 0; i < groups.length; i++) {
      const len = (groups[i] as string).length;
      if (len > 6 || (len < 3 && i < groups.length - 1)) return null;
    }
  }
  const digits = sep === '' ? raw : raw.split(sep).join('');
  return cardNumberValid(digits) ? [m.index, m.index + raw.length] : null;
});
