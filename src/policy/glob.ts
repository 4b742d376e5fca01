/**
 * The glob syntax of tool rules, as Rego's glob.match with no delimiters reads it for the cases the
 * docs promise: `*` any run of characters, `?` one character, `[abc]`, `{a,b}`. Compiled once.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  let out = '^';
  let inBraces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (c === '{') {
      inBraces++;
      out += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      out += ')';
    } else if (c === ',' && inBraces > 0) out += '|';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  out += ')'.repeat(inBraces) + '$';
  re = new RegExp(out, 'u');
  if (cache.size < 10_000) cache.set(pattern, re);
  return re;
}

export function isGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

export function globMatch(pattern: string, value: string): boolean {
  return isGlob(pattern) ? globToRegExp(pattern).test(value) : pattern === value;
}
