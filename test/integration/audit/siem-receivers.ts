import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a receiver stored: the OCSF events it would show a SIEM user. */
export interface StoredEvent {
  readonly seq: number;
  readonly event: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A node:http server that can be stopped (listener closed, connections reset) and started again on the same port. */
class RestartableServer {
  #server: Server | undefined;
  #port = 0;
  readonly #handle: Handler;

  constructor(handle: Handler) {
    this.#handle = handle;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Like a crashed receiver: the port refuses connections, open ones are reset. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
};

/**
 * A stand-in for Splunk's HTTP Event Collector (Splunk itself cannot run here): the documented
 * `POST /services/collector/event` (concatenated event objects, `Authorization: Splunk <token>`)
 * and, since indexer acknowledgement is on, `X-Splunk-Request-Channel` required (400 code 10
 * without it), an `ackId` per channel, and `POST /services/collector/ack?channel=` answering
 * `{"acks":{"<id>":true|false}}`. An event counts as stored only once its ackId was reported
 * indexed; a stop forgets every channel and every batch not yet indexed (400 code 11, invalid
 * channel, afterwards), so a sink that trusted the first 200 would lose those events.
 */
export class HecReceiver {
  readonly token: string;
  readonly stored: StoredEvent[] = [];
  /** Batches received (indexed or not), for the report. */
  posts = 0;
  #channels = new Map<string, { next: number; pending: Map<number, { at: number; events: StoredEvent[] }> }>();
  readonly #server: RestartableServer;

  constructor(token: string) {
    this.token = token;
    this.#server = new RestartableServer((req, body, res) => this.#handle(req, body, res));
  }

  get url(): string {
    return this.#server.url;
  }

  start(): Promise<void> {
    return this.#server.start();
  }

  async stop(): Promise<void> {
    this.#channels = new Map();
    await this.#server.stop();
  }

  #handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (req.headers.authorization !== `Splunk ${this.token}`) return json(res, 401, { text: 'Invalid token', code: 4 });
    const url = new URL(req.url ?? '/', 'http://hec');
    const channelId = String(req.headers['x-splunk-request-channel'] ?? url.searchParams.get('channel') ?? '');
    if (channelId === '') return json(res, 400, { text: 'Data channel is missing', code: 10 });
    if (url.pathname === '/services/collector/event') {
      const events = body
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (JSON.parse(l) as { event: StoredEvent['event'] }).event)
        .map((event) => ({ seq: event.metadata.sequence as number, event }));
      let channel = this.#channels.get(channelId);
      if (channel === undefined) this.#channels.set(channelId, (channel = { next: 0, pending: new Map() }));
      const ackId = channel.next++;
      channel.pending.set(ackId, { at: Date.now(), events });
      this.posts++;
      return json(res, 200, { text: 'Success', code: 0, ackId });
    }
    if (url.pathname === '/services/collector/ack') {
      const channel = this.#channels.get(channelId);
      if (channel === undefined) return json(res, 400, { text: 'Invalid data channel', code: 11 });
      const acks: Record<string, boolean> = {};
      for (const id of (JSON.parse(body) as { acks: number[] }).acks) {
        const batch = channel.pending.get(id);
        // Indexing takes a moment: a batch is reported indexed from the first poll 10 ms after it came.
        const indexed = batch !== undefined && Date.now() - batch.at >= 10;
        if (indexed) {
          this.stored.push(...batch.events);
          channel.pending.delete(id);
        }
        acks[String(id)] = indexed || (batch === undefined && id < channel.next);
      }
      return json(res, 200, { acks });
    }
    return json(res, 404, { text: 'Not found', code: 404 });
  }
}

/**
 * An HTTP webhook receiver whose answers the test scripts: `ok` stores the NDJSON batch and answers
 * 200; `503` answers Service Unavailable; `429` answers Too Many Requests with `Retry-After: 1`.
 * It records when each 429 was answered and when the next request came on the same connection, to
 * check the wait: a request on another connection may come from a restarted mcp-warden, which
 * never saw that 429 (the no-loss run kills one while the webhook answers 429).
 */
export class WebhookReceiver {
  readonly stored: StoredEvent[] = [];
  mode: 'ok' | '503' | '429' = 'ok';
  readonly answered = { ok: 0, '503': 0, '429': 0 };
  /** Milliseconds between a 429 and the next request. */
  readonly waitsAfter429: number[] = [];
  readonly #last429 = new WeakMap<Socket, number>();
  readonly #server = new RestartableServer((req, body, res) => this.#handle(req.socket, body, res));

  get url(): string {
    return this.#server.url;
  }

  start(): Promise<void> {
    return this.#server.start();
  }

  stop(): Promise<void> {
    return this.#server.stop();
  }

  #handle(socket: Socket, body: string, res: ServerResponse): void {
    const last429 = this.#last429.get(socket);
    if (last429 !== undefined) {
      this.waitsAfter429.push(Date.now() - last429);
      this.#last429.delete(socket);
    }
    this.answered[this.mode]++;
    if (this.mode === '503') return json(res, 503, { error: 'unavailable' });
    if (this.mode === '429') {
      this.#last429.set(socket, Date.now());
      return json(res, 429, { error: 'slow down' }, { 'retry-after': '1' });
    }
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as StoredEvent['event'];
      this.stored.push({ seq: event.metadata.sequence as number, event });
    }
    return json(res, 200, {});
  }
}
