import { ssnValid } from './checksums.ts';
import { regexDetector } from './regex-detector.ts';

/**
 * US Social Security numbers in the printed form AAA-GG-SSSS (hyphens or spaces, used
 * consistently), excluding ranges that are never issued. Nine bare digits are too common (order
 * numbers, timestamps) to call an SSN without context, so they are left to the phone rules.
 */
const SSN = /(?<![\w.\-/])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w\-/]|[.,]\d)/g;

export const ssnDetector = regexDetector('US_SSN', 85, SSN, (m) =>
  ssnValid(m[1] as string, m[3] as string, m[4] as string) ? [m.index, m.index + m[0].length] : null,
);
