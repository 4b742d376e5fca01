import type { WebSocket } from 'ws';
import { websocketPausesTotal } from '../metrics/proxy-metrics.ts';
import type { Direction } from '../pipeline/exchange-context.ts';

/**
 * Backpressure for one direction of a WebSocket bridge. Frames are relayed one at a time, so a
 * sender faster than the receiver (or than the pipeline) would otherwise pile up frames in memory
 * without bound: received-but-not-yet-relayed frames in the relay chain, and relayed-but-not-yet-
 * flushed bytes in the receiving socket's buffer. Both count as held; past the high-water mark
 * the sending socket stops being read, so TCP pushes back on the sender, and it is read again
 * once the held bytes fall to half the mark. Nothing is dropped.
 */
export class WebSocketFlow {
  readonly #from: WebSocket;
  readonly #highWater: number;
  readonly #labels: { upstream: string; direction: Direction };
  #held = 0;

  constructor(from: WebSocket, highWaterBytes: number, labels: { upstream: string; direction: Direction }) {
    this.#from = from;
    this.#highWater = highWaterBytes;
    this.#labels = labels;
  }

  /** A frame of `bytes` arrived from the sender and is queued for relaying. */
  hold(bytes: number): void {
    this.#held += bytes;
    if (this.#held > this.#highWater && !this.#from.isPaused) {
      this.#from.pause();
      websocketPausesTotal.inc(this.#labels);
    }
  }

  /** That frame is done with: refused, or flushed to the receiver's socket. */
  release(bytes: number): void {
    this.#held -= bytes;
    if (this.#held <= this.#highWater / 2 && this.#from.isPaused) this.#from.resume();
  }

  /** True while the sender is not being read: its silence (no pong) is ours, not a dead peer. */
  get paused(): boolean {
    return this.#from.isPaused;
  }
}
