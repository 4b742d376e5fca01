import type { Detector, Finding } from '../finding.ts';

const BEGIN = /-----BEGIN ((?:[A-Z0-9]+ ){0,4})PRIVATE KEY( BLOCK)?-----/g;

/**
 * PEM private keys (PKCS#1, PKCS#8, EC, OpenSSH, PGP, encrypted): the whole block from BEGIN to
 * its END line. A truncated block (no END) is redacted up to where its base64 body stops, since
 * half a key is still a key. The END search runs once per block and never re-reads the text.
 */
export const privateKeyDetector: Detector = {
  type: 'PRIVATE_KEY',
  priority: 100,
  scan(text: string, out: Finding[]): void {
    // 'VATE K' rather than 'PRIVATE KEY': V8 finds a needle fastest when its first character is rare
    if (text.indexOf('VATE K') === -1) return;
    const re = BEGIN;
    re.lastIndex = 0;
    let noEndAfter = Infinity; // once an END search fails from x, it fails from every later x too
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const start = m.index;
      const bodyStart = start + m[0].length;
      const endMarker = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
      let end = bodyStart >= noEndAfter ? -1 : text.indexOf(endMarker, bodyStart);
      if (end === -1) {
        noEndAfter = Math.min(noEndAfter, bodyStart);
        end = bodyStart;
        // base64 body, headers (Proc-Type: …) and line breaks
        end = bodyEnd(text, bodyStart);
      } else {
        end += endMarker.length;
      }
      out.push({ type: 'PRIVATE_KEY', start, end });
      re.lastIndex = end;
    }
  },
};

/** End of a PEM body: base64, `Header: value` lines and whitespace, up to the next `-----`. */
function bodyEnd(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
      c === 43 || c === 47 || c === 61 || c === 58 || c === 44 || c === 32 || c === 9 || c === 10 || c === 13 ||
      (c === 45 && !text.startsWith('-----', i));
    if (!ok) break;
  }
  return i;
}
