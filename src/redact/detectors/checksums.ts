/** Check-digit and range validation for the structured PII types (pure functions). */

/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

interface CardBrand {
  readonly prefixes: readonly (readonly [number, number])[]; // inclusive ranges over the first N digits
  readonly prefixLength: number;
  readonly lengths: readonly number[];
}

const range = (lo: number, hi = lo) => [lo, hi] as const;

/** Issuer identification ranges and lengths from the public card network tables. */
const BRANDS: readonly CardBrand[] = [
  { prefixLength: 1, prefixes: [range(4)], lengths: [13, 16, 19] }, // Visa
  { prefixLength: 2, prefixes: [range(51, 55)], lengths: [16] }, // Mastercard
  { prefixLength: 4, prefixes: [range(2221, 2720)], lengths: [16] }, // Mastercard 2-series
  { prefixLength: 2, prefixes: [range(34), range(37)], lengths: [15] }, // American Express
  { prefixLength: 3, prefixes: [range(300, 305)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefixLength: 2, prefixes: [range(36), range(38), range(39)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefixLength: 4, prefixes: [range(3095)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefixLength: 4, prefixes: [range(6011)], lengths: [16, 17, 18, 19] }, // Discover
  { prefixLength: 3, prefixes: [range(644, 649)], lengths: [16, 17, 18, 19] }, // Discover
  { prefixLength: 2, prefixes: [range(65)], lengths: [16, 17, 18, 19] }, // Discover / RuPay
  // JCB: the table assigns 3528-3589; the whole 35 block is accepted because generators (Faker,
  // the Presidio dataset) use it, and Luhn plus length still gate it.
  { prefixLength: 2, prefixes: [range(35)], lengths: [16, 17, 18, 19] }, // JCB
  { prefixLength: 4, prefixes: [range(2131), range(1800)], lengths: [15] }, // JCB (legacy 15-digit)
  { prefixLength: 2, prefixes: [range(62), range(81)], lengths: [16, 17, 18, 19] }, // UnionPay
  { prefixLength: 4, prefixes: [range(2200, 2204)], lengths: [16, 17, 18, 19] }, // Mir
  { prefixLength: 2, prefixes: [range(50), range(56, 69)], lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { prefixLength: 4, prefixes: [range(604)], lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro "0604"
];

/** [prefix length, low, high] triples of every brand issuing that length, by length. */
const RANGES_BY_LENGTH: readonly number[][] = (() => {
  const byLength: number[][] = Array.from({ length: 20 }, () => []);
  for (const b of BRANDS) for (const n of b.lengths) for (const [lo, hi] of b.prefixes) byLength[n]?.push(b.prefixLength, lo, hi);
  return byLength;
})();

/**
 * True when the digits of `card` have a length and issuer prefix that some card network issues,
 * and pass Luhn. `separator` (a character code) is skipped between groups. One pass and no
 * allocation: this runs for every candidate, up to ~50 000 in a megabyte of digits.
 */
export function cardNumberValid(card: string, separator = -1): boolean {
  let n = 0;
  let sum = 0;
  let prefix4 = 0;
  let repeated = true; // one repeated digit passes Luhn for some lengths and is never a real card
  const firstDigit = card.charCodeAt(0);
  for (let i = card.length - 1; i >= 0; i--) {
    const c = card.charCodeAt(i);
    if (c === separator) continue;
    let d = c - 48;
    if (c !== firstDigit) repeated = false;
    if (n % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    n++;
  }
  if (n < 12 || n > 19 || repeated || sum % 10 !== 0) return false;
  const prefixes = [0, 0, 0, 0, 0];
  for (let i = 0, k = 0; k < 4; i++) {
    const c = card.charCodeAt(i);
    if (c === separator) continue;
    prefix4 = prefix4 * 10 + c - 48;
    prefixes[++k] = prefix4;
  }
  const ranges = RANGES_BY_LENGTH[n] as number[];
  for (let r = 0; r < ranges.length; r += 3) {
    const p = prefixes[ranges[r] as number] as number;
    if (p >= (ranges[r + 1] as number) && p <= (ranges[r + 2] as number)) return true;
  }
  return false;
}

/** IBAN lengths per country (ISO 13616 registry, SWIFT). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18,
  FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24,
  ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
  SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
});

/**
 * ISO 7064 mod 97-10 over an IBAN: letters (either case) and digits, spaces skipped, in
 * `iban[start, end)` (the whole string by default).
 */
export function ibanChecksumValid(iban: string, start = 0, end = iban.length): boolean {
  // the first four characters (country, check digits) go to the end
  let head = start;
  for (let k = 0; k < 4 && head < end; head++) if (iban.charCodeAt(head) !== 32) k++;
  const rem = mod97(iban, head, end, 0);
  return rem >= 0 && mod97(iban, start, head, rem) === 1;
}

function mod97(s: string, from: number, to: number, rem: number): number {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) continue;
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if ((c | 0x20) >= 97 && (c | 0x20) <= 122) rem = (rem * 100 + ((c | 0x20) - 87)) % 97;
    else return -1; // not an IBAN character
  }
  return rem;
}

/** US SSN: area 000, 666 and 900-999, group 00 and serial 0000 are never issued. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return ssnNumbersValid(Number(area), Number(group), Number(serial));
}

/** ssnValid on the three parts read as numbers. */
export function ssnNumbersValid(area: number, group: number, serial: number): boolean {
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}
