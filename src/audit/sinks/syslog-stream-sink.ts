import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { SpoolEntry } from '../spool/spool-reader.ts';
import { SinkError, type Sink } from './sink.ts';
import { octetCounted } from './syslog-format.ts';

/**
 * Syslog over TCP (RFC 6587 octet counting) or TLS (RFC 5425). A batch counts as acknowledged when
 * the kernel took the bytes: plain syslog has no application acknowledgement, so a receiver that
 * dies can lose what was in flight. Use RELP where loss matters (docs/audit.md).
 */
export class SyslogStreamSink implements Sink {
  readonly name: string;
  readonly type: string;
  readonly #o: { host: string; port: number; tls: ConnectionOptions | undefined; timeoutMs: number; format: (e: SpoolEntry) => string };
  #socket: Socket | undefined;

  constructor(o: { name: string; host: string; port: number; tls: ConnectionOptions | undefined; timeoutMs: number; format: (e: SpoolEntry) => string }) {
    this.name = o.name;
    this.type = o.tls === undefined ? 'syslog-tcp' : 'syslog-tls';
    this.#o = o;
  }

  async #connect(): Promise<Socket> {
    if (this.#socket !== undefined && !this.#socket.destroyed) return this.#socket;
    const { host, port, tls, timeoutMs } = this.#o;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls === undefined ? netConnect({ host, port }) : tlsConnect({ host, port, ...tls });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SinkError(`connect to ${host}:${port} timed out`, 'timeout'));
      }, timeoutMs);
      s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new SinkError(`connect to ${host}:${port}: ${err.message}`, 'connect'));
      });
    });
    socket.setKeepAlive(true);
    socket.on('error', () => socket.destroy());
    socket.on('data', () => {}); // a syslog receiver says nothing; drain whatever it sends
    this.#socket = socket;
    return socket;
  }

  async send(batch: readonly SpoolEntry[]): Promise<void> {
    const socket = await this.#connect();
    const data = Buffer.concat(batch.map((e) => octetCounted(this.#o.format(e))));
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new SinkError('connection closed during write', 'connection'));
      socket.once('close', onClose);
      socket.write(data, (err) => {
        socket.off('close', onClose);
        if (err) {
          socket.destroy();
          reject(new SinkError(err.message, 'connection'));
        } else resolve();
      });
    });
  }

  async close(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s !== undefined && !s.destroyed) await new Promise<void>((r) => s.end(() => r()));
  }
}
