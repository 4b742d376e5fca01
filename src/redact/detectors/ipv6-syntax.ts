/**
 * IPv6 address syntax (RFC 4291 §2.2: eight groups of 1-4 hex digits, one `::` standing for one or
 * more zero groups, an optional dotted-quad IPv4 tail counting as two groups), on a range of a
 * string: no slice, no regex. Accepts exactly what `node:net` isIPv6 accepts for strings without a
 * zone (`%eth0`), which is 4-5 times slower and needs the candidate as its own string; a test
 * compares the two on random strings.
 */
export function ipv6Valid(text: string, start: number, end: number): boolean {
  let i = start;
  let groups = 0;
  let compressed = false;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return false; // a single leading colon
    compressed = true;
    i += 2;
    if (i === end) return true; // `::`
  }
  for (;;) {
    let j = i;
    while (j < end && j - i < 5 && isHex(text.charCodeAt(j))) j++;
    if (j < end && text.charCodeAt(j) === 46) {
      // the IPv4 tail: last, and worth two groups
      if (!ipv4Valid(text, i, end)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    if (j === end) break;
    if (text.charCodeAt(j) !== 58) return false;
    j++;
    if (j === end) return false; // a single trailing colon
    if (text.charCodeAt(j) === 58) {
      if (compressed) return false; // a second `::`
      compressed = true;
      j++;
      if (j === end) break;
    }
    i = j;
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** A dotted quad filling [start, end): four decimal octets 0-255 without leading zeros. */
function ipv4Valid(text: string, start: number, end: number): boolean {
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || text.charCodeAt(i) !== 46) return false;
      i++;
    }
    let value = 0;
    const from = i;
    while (i < end && i - from < 4 && isDigit(text.charCodeAt(i))) value = value * 10 + text.charCodeAt(i++) - 48;
    const len = i - from;
    if (len === 0 || len > 3 || value > 255 || (len > 1 && text.charCodeAt(from) === 48)) return false;
  }
  return i === end;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
