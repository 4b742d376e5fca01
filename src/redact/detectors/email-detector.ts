import type { Detector, Finding } from '../finding.ts';

// Character classes (RFC 5322 dot-atom, the part real addresses use; quoted local parts are rare).
const LOCAL = new Uint8Array(128);
const DOMAIN = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch)) {
    LOCAL[c] = 1;
    DOMAIN[c] = 1;
  }
  if ("!#$%&'*+=?^_`{|}~.-".includes(ch)) LOCAL[c] = 1; // RFC 5322 also allows '/', which would swallow URL slashes
  if (ch === '-' || ch === '.') DOMAIN[c] = 1;
}
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/**
 * Email addresses. Finds each `@` with indexOf and grows outwards, so the cost is linear in the
 * input (a regex with a leading `[\w.]+` is quadratic on long words without an `@`).
 */
export const emailDetector: Detector = {
  type: 'EMAIL_ADDRESS',
  priority: 60,
  scan(text: string, out: Finding[]): void {
    let from = 0;
    let lastEnd = 0;
    for (;;) {
      const at = text.indexOf('@', from);
      if (at === -1) return;
      from = at + 1;
      // local part: at most 64 characters back, never into the previous finding
      let s = at;
      const floor = Math.max(lastEnd, at - MAX_LOCAL);
      while (s > floor) {
        const c = text.charCodeAt(s - 1);
        if (c >= 128 || LOCAL[c] !== 1) break;
        s--;
      }
      while (s < at && (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 45)) s++; // no leading dot
      if (s === at || text.charCodeAt(at - 1) === 46) continue;
      // domain: labels of letters, digits and hyphens separated by single dots, TLD of 2+ letters
      let e = at + 1;
      const ceil = Math.min(text.length, at + 1 + MAX_DOMAIN);
      while (e < ceil) {
        const c = text.charCodeAt(e);
        if (c >= 128 || DOMAIN[c] !== 1) break;
        e++;
      }
      while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--; // sentence dot
      if (e - at - 1 < 4) continue; // shorter than `a.bc`: no need to slice and test it
      const domain = text.slice(at + 1, e);
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}$/.test(domain) || domain.includes('..')) continue;
      // URL userinfo (`ssh://git@host/…`) names an account on that host, not a mailbox
      if (s >= 3 && text.startsWith('://', s - 3)) continue;
      // `git@github.com:org/repo.git` is an SSH remote, not someone's address
      if (text.charCodeAt(e) === 58 && e + 1 < text.length && text.charCodeAt(e + 1) > 32) continue;
      out.push({ type: 'EMAIL_ADDRESS', start: s, end: e });
      lastEnd = e;
      from = e;
    }
  },
};
