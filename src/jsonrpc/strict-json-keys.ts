import type { Buffer } from 'node:buffer';

/**
 * The keys of one open JSON object, for duplicate detection without building a string per key.
 *
 * Keys are compared as UTF-16 code-unit sequences after unescaping (what JSON.parse would make
 * of them). The scanner hashes plain ASCII keys straight from the bytes (code unit = byte) and
 * hands over a decoded string for any other key, hashed over its code units, so equal keys always
 * hash equal. A hash hit is confirmed by comparing the keys as strings. On the first true
 * collision the table switches to an exact Set of strings for the rest of the object, so crafted
 * colliding keys cannot make it quadratic.
 *
 * One table per depth, reused for every object at that depth and across parses (reset on `{`).
 */
export class KeyTable {
  #buf: Buffer | undefined;
  // Parallel arrays indexed 0..count-1, overwritten in place (never shrunk) so a reset costs nothing.
  readonly #hashes: number[] = [];
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #strings: (string | undefined)[] = [];
  #count = 0;
  /** Built once an object has more keys than a linear search over hashes handles well. */
  #byHash: Map<number, number> | undefined;
  #exact: Set<string> | undefined;

  /** Starts a new object whose keys are in `buf`. */
  reset(buf: Buffer): void {
    this.#buf = buf;
    this.#count = 0;
    this.#byHash = undefined;
    this.#exact = undefined;
  }

  /**
   * Records a key; false when the object already has it. `text` is the decoded key, or undefined
   * for a plain ASCII key that is `buf[start, end)`.
   */
  add(hash: number, start: number, end: number, text: string | undefined): boolean {
    if (this.#exact !== undefined) {
      const key = text ?? this.#buf!.toString('latin1', start, end);
      if (this.#exact.has(key)) return false;
      this.#exact.add(key);
      return true;
    }
    const count = this.#count;
    let previous = -1;
    if (this.#byHash !== undefined) {
      previous = this.#byHash.get(hash) ?? -1;
    } else {
      for (let k = 0; k < count; k++) {
        if (this.#hashes[k] === hash) {
          previous = k;
          break;
        }
      }
    }
    if (previous !== -1) {
      const key = text ?? this.#buf!.toString('latin1', start, end);
      if (this.#text(previous) === key) return false;
      // A true collision: exact strings for the rest of this object.
      const exact = new Set<string>();
      for (let k = 0; k < count; k++) exact.add(this.#text(k));
      exact.add(key);
      this.#exact = exact;
      return true;
    }
    this.#hashes[count] = hash;
    this.#starts[count] = start;
    this.#ends[count] = end;
    this.#strings[count] = text;
    this.#count = count + 1;
    if (this.#byHash !== undefined) {
      this.#byHash.set(hash, count);
    } else if (count + 1 === LINEAR_LIMIT) {
      const byHash = new Map<number, number>();
      for (let k = 0; k <= count; k++) byHash.set(this.#hashes[k]!, k);
      this.#byHash = byHash;
    }
    return true;
  }

  #text(index: number): string {
    return this.#strings[index] ?? this.#buf!.toString('latin1', this.#starts[index]!, this.#ends[index]!);
  }
}

const LINEAR_LIMIT = 16;
/*
 * FNV-1a, truncated to 30 bits at every step: values then stay V8 small integers, so the hash
 * loop never allocates (a full 32-bit value is boxed as a heap number when it leaves a function).
 */
const FNV_OFFSET = 0x011c9dc5;
const FNV_PRIME = 16777619;
const SMI_MASK = 0x3fffffff;

export function hashStart(): number {
  return FNV_OFFSET;
}

export function hashStep(hash: number, unit: number): number {
  return Math.imul(hash ^ unit, FNV_PRIME) & SMI_MASK;
}

export function hashString(text: string): number {
  let h = FNV_OFFSET;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), FNV_PRIME) & SMI_MASK;
  return h;
}
