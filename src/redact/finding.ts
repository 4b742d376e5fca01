/** One detected value: a half-open range [start, end) of the scanned string. Never holds the value. */
export interface Finding {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Scratch space for one `Scanner.scan` call, shared by its detectors: an index of the text that
 * several detectors need (every `:` and `=`) is built once under its key. Cleared after each scan,
 * so nothing in it outlives the text.
 */
export type ScanMemo = Map<symbol, unknown>;

/**
 * A detector appends what it finds in `text` to `out`. Detectors are pure and must run in time
 * linear in `text.length` whatever the input (no pattern whose backtracking can grow with it).
 */
export interface Detector {
  readonly type: string;
  /** Higher wins when two findings overlap (a card number beats the phone number it resembles). */
  readonly priority: number;
  scan(text: string, out: Finding[], memo?: ScanMemo): void;
}
