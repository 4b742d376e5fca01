import type { Detector, Finding } from '../finding.ts';
import { isSpace } from './char-class.ts';
import { ipv6Valid } from './ipv6-syntax.ts';
import { regexDetector } from './regex-detector.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Dotted quad, not part of a longer dotted number (OIDs, 5-part versions) or of a word. */
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
/**
 * `version 4.0.0.0`, `v1.2.3.4`, `Chrome/124.0.0.0`: four-part version numbers look exactly like
 * addresses. (`http://1.2.3.4` is not a product token: the slash follows a slash.)
 */
const VERSION_CONTEXT = /(?:(?:version|ver\.?|v|release|build|assembly)[\s:=]{0,3}|[A-Za-z][\w-]*\/)$/i;
/**
 * Addresses that identify no one: loopback, unspecified, limited broadcast. Private ranges
 * (10/8, 172.16/12, 192.168/16) ARE redacted: they map an internal network.
 */
const NON_IDENTIFYING_V4 = /^(?:127\.|0\.0\.0\.0$|255\.255\.255\.255$)/;

/**
 * A necessary condition for VERSION_CONTEXT, checked before slicing: a letter or `.` before at most
 * three of `\s:=`, or a `/` right before the address. Most addresses stop here.
 */
function mayFollowVersionWord(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && at - i <= 3 && (isSpace(text.charCodeAt(i)) || text.charCodeAt(i) === 58 || text.charCodeAt(i) === 61)) i--;
  const c = text.charCodeAt(i);
  return ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 46 || (c === 47 && i === at - 1);
}

const ipv4Detector = regexDetector('IP_ADDRESS', 50, IPV4, (m, text) => {
  if (NON_IDENTIFYING_V4.test(m[0])) return null;
  if (!mayFollowVersionWord(text, m.index)) return [m.index, m.index + m[0].length];
  const before = text.slice(Math.max(0, m.index - 12), m.index);
  return VERSION_CONTEXT.test(before) ? null : [m.index, m.index + m[0].length];
});

/**
 * IPv6: an anchor (`h:h…:` or `::`, what `/[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::/g` would find) is found
 * from each `:` (indexOf), then grown over hex digits, colons and (for the embedded IPv4 tail)
 * dots; ipv6Valid decides. A lone `::`, `::1` and words such as `a::b` (C++/Rust paths) are
 * refused (a digit is required).
 */
const MAX_V6 = 45;

let anchorEnd = 0; // set by nextAnchor (saves a [start, end] pair per candidate)

/** Start of the first anchor at or after `from` (its end in anchorEnd), or -1. */
function nextAnchor(text: string, from: number): number {
  for (let c = text.indexOf(':', from); c !== -1; c = text.indexOf(':', c + 1)) {
    if (c - 1 >= from && isHex(text.charCodeAt(c - 1))) {
      let k = c + 1;
      while (k < text.length && k - c <= 5 && isHex(text.charCodeAt(k))) k++;
      if (k - c - 1 <= 4 && text.charCodeAt(k) === 58) {
        anchorEnd = k + 1; // h:hhhh:
        return c - 1;
      }
    }
    if (text.charCodeAt(c + 1) === 58) {
      anchorEnd = c + 2; // ::
      return c;
    }
  }
  return -1;
}

function isV6Char(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46; // 0-9 : A-F a-f .
}
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function hasDigit(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) return true;
  return false;
}
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

const ipv6Detector: Detector = {
  type: 'IP_ADDRESS',
  priority: 50,
  scan(text: string, out: Finding[]): void {
    let walked = 0; // where the last candidate ended: walking back past it finds only rejects again
    for (let anchor = nextAnchor(text, 0); anchor !== -1; anchor = nextAnchor(text, walked)) {
      let start = anchor;
      const floor = Math.max(walked, start - MAX_V6);
      while (start > floor && isV6Char(text.charCodeAt(start - 1)) && text.charCodeAt(start - 1) !== 46) start--;
      let end = anchorEnd;
      const ceil = Math.min(text.length, start + MAX_V6 + 1);
      while (end < ceil && isV6Char(text.charCodeAt(end))) end++;
      walked = end;
      while (end > start && text.charCodeAt(end - 1) === 46) end--; // sentence dot
      const before = start > 0 ? text.charCodeAt(start - 1) : 32;
      const after = end < text.length ? text.charCodeAt(end) : 32;
      if (isWordChar(before) || before === 46 || before === 58 || isWordChar(after) || after === 58) continue;
      if (!hasDigit(text, start, end) || !ipv6Valid(text, start, end) || (end - start === 3 && text.startsWith('::1', start))) continue;
      out.push({ type: 'IP_ADDRESS', start, end });
    }
  },
};

export const ipDetector: Detector = {
  type: 'IP_ADDRESS',
  priority: 50,
  scan(text: string, out: Finding[]): void {
    ipv4Detector.scan(text, out);
    if (text.includes(':')) ipv6Detector.scan(text, out);
  },
};
