import type { ConnectionOptions } from 'node:tls';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { RelpConnection, RelpError } from './relp-client.ts';
import { SinkError, type Sink } from './sink.ts';

/**
 * Syslog over RELP: every message is acknowledged by the receiver, so a batch is acknowledged only
 * when every frame in it got `rsp 200`. Any failure fails the whole batch, which the shipper resends
 * on a new session (the receiver may then see some messages twice; it never misses one).
 */
export class RelpSink implements Sink {
  readonly type = 'syslog-relp';
  readonly name: string;
  readonly #o: { host: string; port: number; tls: ConnectionOptions | undefined; window: number; timeoutMs: number; format: (e: SpoolEntry) => string };
  #conn: RelpConnection | undefined;

  constructor(o: { name: string; host: string; port: number; tls: ConnectionOptions | undefined; window: number; timeoutMs: number; format: (e: SpoolEntry) => string }) {
    this.name = o.name;
    this.#o = o;
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    try {
      if (this.#conn === undefined || !this.#conn.alive) {
        this.#conn?.destroy();
        this.#conn = await RelpConnection.connect({ host: this.#o.host, port: this.#o.port, window: this.#o.window, timeoutMs: this.#o.timeoutMs, ...(this.#o.tls !== undefined ? { tls: this.#o.tls } : {}) });
      }
      const conn = this.#conn;
      await Promise.all(batch.map((e) => conn.syslog(this.#o.format(e))));
    } catch (err) {
      this.#conn?.destroy();
      this.#conn = undefined;
      throw new SinkError((err as Error).message, err instanceof RelpError ? err.reason : 'error');
    }
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = undefined;
    await c?.close();
  }
}
