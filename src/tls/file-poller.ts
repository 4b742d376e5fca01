import { stat, statSync, type Stats } from 'node:fs';

function signature(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * Calls `onChange` when a file changes, by polling its stat. Polling (not fs.watch) because
 * Kubernetes swaps mounted secrets by symlink and fs.watch loses track of them.
 *
 * The baseline stat is taken synchronously when the poller is created, which must be BEFORE the
 * caller reads the file: a change that lands between the read and the first poll is then seen as
 * a change (fs.watchFile takes its baseline asynchronously and can miss it). A missing file is a
 * change too (reported when it comes back).
 */
export class FilePoller {
  readonly #file: string;
  #last: string;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(file: string) {
    this.#file = file;
    this.#last = signature(statSync(file));
  }

  start(intervalMs: number, onChange: () => void): this {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      stat(this.#file, (err, s) => {
        this.#busy = false;
        const next = err === null ? signature(s) : 'missing';
        if (next === this.#last) return;
        this.#last = next;
        if (err === null) onChange();
      });
    }, intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
