import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/**
 * A RELP client (the Reliable Event Logging Protocol of rsyslog/librelp). Frames are
 * `TXNR SP COMMAND SP DATALEN [SP DATA] LF`; the session starts with `open` (offering
 * `relp_version=0` and `commands=syslog`), every `syslog` frame is answered by an `rsp` frame with
 * the same TXNR whose data starts with a status code (200 = the receiver took the message), and the
 * session ends with `close`. At most `window` frames are unanswered at once. The receiver may send
 * `serverclose` before it goes away; every frame still unanswered then counts as not delivered.
 */
const MAX_TXNR = 999_999_999;
const LF = 0x0a;

interface Waiting {
  resolve: (data: string) => void;
  reject: (err: Error) => void;
  /** performance.now() when the frame was written: one watchdog checks the oldest, not a timer per frame. */
  sentAt: number;
}

export class RelpError extends Error {
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.name = 'RelpError';
    this.reason = reason;
  }
}

export class RelpConnection {
  readonly #socket: Socket;
  readonly #window: number;
  #corked = false;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  readonly #slotWaiters: (() => void)[] = [];
  #txnr = 0;
  #buffer: Buffer = Buffer.alloc(0);
  #dead: Error | undefined;
  readonly #watchdog: NodeJS.Timeout;

  private constructor(socket: Socket, window: number, timeoutMs: number) {
    this.#socket = socket;
    this.#window = window;
    this.#timeoutMs = timeoutMs;
    this.#watchdog = setInterval(() => this.#checkOldest(), Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))));
    this.#watchdog.unref();
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(new RelpError(`RELP connection error: ${err.message}`, 'connection')));
    socket.on('close', () => this.#fail(new RelpError('RELP connection closed', 'connection')));
  }

  static async connect(o: { host: string; port: number; tls?: ConnectionOptions; window: number; timeoutMs: number; software?: string }): Promise<RelpConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = o.tls === undefined ? netConnect({ host: o.host, port: o.port }) : tlsConnect({ host: o.host, port: o.port, ...o.tls });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RelpError(`RELP connect to ${o.host}:${o.port} timed out`, 'timeout'));
      }, o.timeoutMs);
      s.once(o.tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new RelpError(`RELP connect to ${o.host}:${o.port}: ${err.message}`, 'connect'));
      });
    });
    socket.setNoDelay(true);
    const conn = new RelpConnection(socket, o.window, o.timeoutMs);
    const offer = `relp_version=0\nrelp_software=${o.software ?? 'mcp-warden'}\ncommands=syslog`;
    const answer = await conn.#command('open', offer);
    if (!answer.startsWith('200')) {
      conn.destroy();
      throw new RelpError(`RELP open refused: ${answer.split('\n')[0] ?? ''}`, 'refused');
    }
    if (!/(^|\n)commands=([^\n]*,)?syslog(,|\n|$)/.test(answer)) {
      conn.destroy();
      throw new RelpError('RELP server does not offer the syslog command', 'refused');
    }
    return conn;
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Sends one syslog message; resolves when the receiver answered `200`. */
  async syslog(message: string | Buffer): Promise<void> {
    while (this.#waiting.size >= this.#window && this.#dead === undefined) await new Promise<void>((r) => this.#slotWaiters.push(r));
    const answer = await this.#command('syslog', message);
    if (!answer.startsWith('200')) throw new RelpError(`RELP receiver refused a message: ${answer.slice(0, 80)}`, 'refused');
  }

  /** Ends the session politely (`close`, await its `rsp`), then the socket. */
  async close(): Promise<void> {
    if (this.#dead === undefined) {
      try {
        await this.#command('close', '');
      } catch {
        // The receiver went away first; nothing is pending that matters.
      }
    }
    this.destroy();
  }

  destroy(): void {
    this.#abort(new RelpError('RELP connection closed by client', 'closed'));
  }

  #command(command: string, data: string | Buffer): Promise<string> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    this.#txnr = this.#txnr >= MAX_TXNR ? 1 : this.#txnr + 1;
    const txnr = this.#txnr;
    const length = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    return new Promise<string>((resolve, reject) => {
      this.#waiting.set(txnr, { resolve, reject, sentAt: performance.now() });
      // Frames written in one tick (a batch fills the window at once) go out in one write, not one each.
      if (!this.#corked) {
        this.#corked = true;
        this.#socket.cork();
        process.nextTick(() => {
          this.#corked = false;
          this.#socket.uncork();
        });
      }
      if (length === 0) this.#socket.write(`${txnr} ${command} 0\n`);
      else if (typeof data === 'string') this.#socket.write(`${txnr} ${command} ${length} ${data}\n`); // encoded once, by the socket
      else {
        this.#socket.write(`${txnr} ${command} ${length} `);
        this.#socket.write(data);
        this.#socket.write('\n');
      }
    });
  }

  /** The oldest unanswered frame waited longer than the timeout: the session is dead (every unanswered frame counts as not delivered). */
  #checkOldest(): void {
    const oldest = this.#waiting.entries().next().value as [number, Waiting] | undefined;
    if (oldest !== undefined && performance.now() - oldest[1].sentAt > this.#timeoutMs) {
      this.#abort(new RelpError(`RELP: no rsp to txnr ${oldest[0]} within ${this.#timeoutMs} ms`, 'timeout'));
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = this.#parseFrame();
      if (frame === undefined) return;
      if (frame === null) {
        this.#abort(new RelpError('RELP: malformed frame from the receiver', 'protocol'));
        return;
      }
      if (frame.command === 'serverclose') {
        this.#abort(new RelpError('RELP receiver closed the session', 'connection'));
        return;
      }
      if (frame.command !== 'rsp') continue;
      const w = this.#waiting.get(frame.txnr);
      if (w === undefined) continue;
      this.#waiting.delete(frame.txnr);
      w.resolve(frame.data);
      this.#slotWaiters.shift()?.();
    }
  }

  /** A complete frame, `undefined` if more bytes are needed, `null` if the bytes are not RELP. */
  #parseFrame(): { txnr: number; command: string; data: string } | undefined | null {
    const b = this.#buffer;
    const header = /^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})/.exec(b.subarray(0, 64).toString('latin1'));
    if (header === null) return b.length >= 64 || (b.length > 0 && !/^[\d ]/.test(String.fromCharCode(b[0] as number))) ? null : undefined;
    const [text, txnr, command, len] = header as unknown as [string, string, string, string];
    const dataLen = Number(len);
    let pos = text.length;
    if (dataLen > 0) {
      if (b.length < pos + 1 + dataLen + 1) return undefined;
      if (b[pos] !== 0x20) return null;
      pos += 1;
    } else if (b.length < pos + 1) return undefined;
    const data = b.subarray(pos, pos + dataLen).toString('utf8');
    pos += dataLen;
    if (b[pos] !== LF) return null;
    this.#buffer = b.subarray(pos + 1);
    return { txnr: Number(txnr), command, data };
  }

  /** The session is over: every unanswered frame fails with `err`, and the socket goes. */
  #abort(err: Error): void {
    this.#fail(err);
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    if (this.#dead === undefined) this.#dead = err;
    clearInterval(this.#watchdog);
    for (const [, w] of this.#waiting) w.reject(this.#dead);
    this.#waiting.clear();
    for (const wake of this.#slotWaiters.splice(0)) wake();
  }
}
