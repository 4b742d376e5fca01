import type { Detector, Finding, ScanMemo } from '../finding.ts';
import { isSpace } from './char-class.ts';
import type { Refine } from './regex-detector.ts';

/** The part of the pattern every assignment has between its name and its value. */
const OPERATOR_PREFIX = `["']?\\s{0,4}(?:`;

export interface AssignmentSpec {
  /** Names (lower case: letters, `_`, `-`, ending in three letters), matched case-insensitively. */
  readonly names: readonly string[];
  /** The name must not follow a letter or digit (`(?<![A-Za-z0-9])`). */
  readonly wordStart: boolean;
  /**
   * The pattern after the name: `["']?\s{0,4}(?:` an operator starting with `:` or `=`, `)`, then
   * the value as capture group 2, last (only a lookahead may follow it): see valueRange.
   */
  readonly rest: string;
}

/**
 * A detector for `NAME["']?\s{0,4}(:|=)VALUE` (`password = …`, `"api_key": …`), names matched
 * case-insensitively. A case-insensitive list of names defeats V8's fast skipping, so the scan runs
 * the other way round: every `:` and `=` is found with `indexOf` (once per scan, shared by all
 * assignment detectors), the name must end just before it (after an optional quote and at most
 * four spaces), a reversed trie of the names reads it backwards, and only then does the pattern
 * run, sticky, where that name starts.
 *
 * The findings are exactly those of the pattern `(NAME|…)REST` run globally: each match has one
 * operator that follows its name, candidates are tried in text order, none inside the previous
 * match. Group 1 is the name, group 2 the value.
 */
export function assignmentDetector(type: string, priority: number, spec: AssignmentSpec, refine: Refine): Detector {
  if (spec.names.some((n) => !/^[a-z_-]{0,28}[a-z]{3}$/.test(n))) throw new Error(`detector ${type}: names must be lower case, under 32 characters, and end in three letters`);
  if (!spec.rest.startsWith(OPERATOR_PREFIX)) throw new Error(`detector ${type}: rest must start with ${OPERATOR_PREFIX}`);
  const pattern = `${spec.wordStart ? '(?<![A-Za-z0-9])' : ''}(${spec.names.join('|')})${spec.rest}`;
  const sticky = new RegExp(pattern, 'iy'); // no `d`: indices cost more than the match (valueRange)
  const trie = reversedTrie(spec.names);
  for (const n of spec.names) {
    const key = lastThreeLetters(n, n.length);
    ENDINGS[key] = (ENDINGS[key] as number) | (n.length === 3 ? ANY_BEFORE : 1 << nameSymbol(n.charCodeAt(n.length - 4)));
  }
  return {
    type,
    priority,
    scan(text: string, out: Finding[], memo?: ScanMemo): void {
      const ops = operatorsAfterWords(text, memo);
      let resume = 0;
      for (let k = 0; k < ops.length; k += 2) {
        const op = ops[k] as number;
        if (op < resume) continue;
        // Names ending at `end`, as a bit set of their lengths (all are under 32 characters).
        const end = ops[k + 1] as number;
        let lengths = 0;
        let node: TrieNode | undefined = trie;
        for (let i = end - 1; i >= 0 && node !== undefined; i--) {
          node = node.next[foldCase(text.charCodeAt(i))];
          if (node?.name === true) lengths |= 1 << (end - i);
        }
        // Longest name first: the earliest start, as a global regex would find it.
        while (lengths !== 0) {
          const len = 31 - Math.clz32(lengths); // the longest remaining
          lengths ^= 1 << len;
          const s = end - len;
          if (s < resume || (spec.wordStart && s > 0 && isAlphanumeric(text.charCodeAt(s - 1)))) continue;
          sticky.lastIndex = s;
          const m = sticky.exec(text);
          if (m === null) continue;
          resume = s + m[0].length;
          const r = refine(m, text);
          if (r !== null && r[1] > r[0]) out.push({ type, start: r[0], end: r[1] });
          break;
        }
      }
    },
  };
}

/** The range of the value (group 2), which ends where the match ends. */
export function valueRange(m: RegExpExecArray): readonly [number, number] {
  const end = m.index + m[0].length;
  return [end - (m[2] as string).length, end];
}

interface TrieNode {
  /** Children by character code (names are ASCII). */
  readonly next: (TrieNode | undefined)[];
  name: boolean;
}

function reversedTrie(names: readonly string[]): TrieNode {
  const node = (): TrieNode => ({ next: new Array<TrieNode | undefined>(128).fill(undefined), name: false });
  const root = node();
  for (const n of names) {
    let at = root;
    for (let i = n.length - 1; i >= 0; i--) at = at.next[n.charCodeAt(i)] ??= node();
    at.name = true;
  }
  return root;
}

/** ASCII upper case to lower case, as a non-unicode `i` regex folds (nothing else folds to ASCII). */
function foldCase(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

const OPERATORS = Symbol('assignment operators');

/**
 * For the last three letters of every name of every assignment detector (see lastThreeLetters):
 * a bit set of the characters (nameSymbol) that come before them in some name, or ANY_BEFORE for
 * a three-letter name. `key=` passes the letters but not the fourth character.
 */
const ENDINGS = new Uint32Array(1 << 15);
const ANY_BEFORE = 1 << 31;

/** Name characters as bit numbers: a-z 1-26 (either case), `_` 27, `-` 28; anything else 0. */
function nameSymbol(c: number): number {
  const l = c | 0x20;
  if (l >= 97 && l <= 122) return l - 96;
  return c === 95 ? 27 : c === 45 ? 28 : 0;
}

/**
 * Every `:` and `=` that follows (after an optional quote and at most four spaces) the last three
 * letters of some assignment name, as pairs [operator, end of those letters], in text order.
 * Built once per scan and shared through the memo; a few hundred in a megabyte of code.
 */
function operatorsAfterWords(text: string, memo: ScanMemo | undefined): readonly number[] {
  const cached = memo?.get(OPERATORS) as number[] | undefined;
  if (cached !== undefined) return cached;
  const ops: number[] = [];
  let colon = text.indexOf(':');
  let equals = text.indexOf('=');
  while (colon !== -1 || equals !== -1) {
    let op: number;
    if (equals === -1 || (colon !== -1 && colon < equals)) {
      op = colon;
      colon = text.indexOf(':', op + 1);
    } else {
      op = equals;
      equals = text.indexOf('=', op + 1);
    }
    const before = text.charCodeAt(op - 1); // most operators follow a digit, a bracket, another operator…
    if (!isLetter(before) && before !== 34 && before !== 39 && !isSpace(before)) continue;
    const end = nameEnd(text, op);
    if (end < 3) continue;
    const allowed = ENDINGS[lastThreeLetters(text, end)] as number;
    if (allowed === 0) continue;
    const fourth = nameSymbol(text.charCodeAt(end - 4));
    if ((allowed & ANY_BEFORE) !== 0 || (fourth !== 0 && (allowed & (1 << fourth)) !== 0)) ops.push(op, end);
  }
  memo?.set(OPERATORS, ops);
  return ops;
}

/** Where a name followed by `["']?\s{0,4}` and the operator at `op` ends, or -1 if none can. */
function nameEnd(text: string, op: number): number {
  let q = op;
  while (q > 0 && op - q < 4 && isSpace(text.charCodeAt(q - 1))) q--;
  if (q > 0 && isSpace(text.charCodeAt(q - 1))) return -1; // more than four spaces
  const c = text.charCodeAt(q - 1);
  return c === 34 || c === 39 ? q - 1 : q;
}

/** The three letters before `end`, case-folded, as a 15-bit number; 0 if one is not an ASCII letter. */
function lastThreeLetters(text: string, end: number): number {
  let key = 0;
  for (let i = end - 3; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return 0;
    key = (key << 5) | (c - 96);
  }
  return key;
}

function isLetter(c: number): boolean {
  return (c | 0x20) >= 97 && (c | 0x20) <= 122;
}

function isAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
