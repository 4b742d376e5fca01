import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { WardenError, isWardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import { serialise, errorResponse } from '../jsonrpc/serialise.ts';
import { SseParser, serialiseSseEvent, type SseEvent } from '../jsonrpc/sse.ts';
import { openStreams, upstreamErrorsTotal } from '../metrics/proxy-metrics.ts';
import type { ConnectionInfo } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { Correlator } from './correlator.ts';
import { bytesToForward, type MessageProcessor } from './message-processor.ts';
import { endAtExpiry } from './stream-expiry.ts';
import type { UpstreamResponse } from './upstream-http.ts';

export interface SseRelayOptions {
  readonly processor: MessageProcessor;
  readonly connection: ConnectionInfo;
  readonly correlator: Correlator;
  readonly maxEventBytes: number;
  readonly allowBatch: boolean;
  readonly logger: Logger;
  /** Answers a server→client request that the pipeline refused (the upstream must not wait forever). */
  readonly answerUpstream: (reply: JsonRpcMessage) => void;
  /** Request ids of the client POST this stream answers: answered with an error if the stream breaks. */
  readonly outstanding?: Set<string | number>;
  /** Events that mcp-warden itself adds at the start (e.g. refusals for part of a batch). */
  readonly prelude?: readonly JsonRpcMessage[];
  /** Rewrites legacy `endpoint` events; returns the data to send instead. */
  readonly onEndpointEvent?: (data: string) => Promise<string>;
}

/**
 * Relays an upstream SSE body to the client one event at a time: each event's data is parsed,
 * goes through the pipeline as a to_client message, and is written before the next chunk is read
 * (`for await` gives backpressure, and at most one event is held). An event that cannot be
 * inspected (too large, not JSON-RPC) is never passed through.
 */
export async function relaySse(upstream: UpstreamResponse, res: ServerResponse, options: SseRelayOptions): Promise<void> {
  const parser = new SseParser({ maxEventBytes: options.maxEventBytes });
  for (const message of options.prelude ?? []) await write(res, serialiseSseEvent({ event: 'message', data: serialise(message) }));
  try {
    for await (const chunk of upstream.body) {
      if (res.destroyed || res.writableEnded) break;
      for (const event of parser.push(chunk as Buffer)) await relayEvent(event, res, options);
    }
    for (const event of parser.end()) await relayEvent(event, res, options);
  } catch (err) {
    if (!isWardenError(err) && res.destroyed) return; // client went away: nothing to tell it
    const error = isWardenError(err) ? err : new WardenError('WARDEN_ERR_UPSTREAM_UNAVAILABLE', { detail: String(err), cause: err });
    options.logger.warn({ code: error.code, detail: error.detail, upstream: options.connection.upstream }, 'SSE stream from upstream ended with an error');
    upstreamErrorsTotal.inc({ upstream: options.connection.upstream, kind: 'stream' });
    await answerOutstanding(res, options, error);
    upstream.body.destroy();
  }
  if (!res.destroyed) res.end();
}

/**
 * relaySse plus what every long-lived stream needs: it counts in the open-streams gauge, and it
 * ends when the credential that opened it expires.
 */
export async function relayStream(upstream: UpstreamResponse, res: ServerResponse, principal: Principal, options: SseRelayOptions): Promise<void> {
  const labels = { transport: options.connection.transport, upstream: options.connection.upstream };
  openStreams.inc(labels);
  const cancelExpiry = endAtExpiry(principal, () => {
    upstream.body.destroy();
    res.end();
  });
  try {
    await relaySse(upstream, res, options);
  } finally {
    cancelExpiry();
    openStreams.dec(labels);
  }
}

async function relayEvent(event: SseEvent, res: ServerResponse, options: SseRelayOptions): Promise<void> {
  if (event.event === 'endpoint' && options.onEndpointEvent !== undefined) {
    await write(res, serialiseSseEvent({ event: 'endpoint', data: await options.onEndpointEvent(event.data), id: event.id, retry: event.retry }));
    return;
  }
  if (event.data === '') {
    // A priming event (id and/or retry only, for resumption): it carries no message to inspect.
    await write(res, serialiseSseEvent({ event: event.event, data: '', id: event.id, retry: event.retry }));
    return;
  }
  let body;
  try {
    body = await options.processor.processBytes(Buffer.from(event.data, 'utf8'), 'to_client', options.connection, options.correlator, {
      allowBatch: options.allowBatch,
    });
  } catch (err) {
    if (!isWardenError(err)) throw err;
    // Uninspectable upstream message: refuse it, say so, and keep the stream.
    options.logger.warn({ code: err.code, detail: err.detail, upstream: options.connection.upstream }, 'refused an SSE event from upstream');
    upstreamErrorsTotal.inc({ upstream: options.connection.upstream, kind: 'protocol' });
    await answerOutstanding(res, options, new WardenError('WARDEN_ERR_UPSTREAM_PROTOCOL', { detail: err.detail }));
    return;
  }
  const out: (string | Buffer)[] = [];
  for (const item of body.items) {
    const id = item.ctx.summary.kind === 'response' ? item.ctx.summary.id : undefined;
    if (id !== undefined && id !== null) options.outstanding?.delete(id);
    if (item.outcome.action === 'forward') {
      out.push(body.batch ? serialise(item.outcome.message) : bytesToForward(item));
      continue;
    }
    if (item.ctx.summary.kind === 'response') {
      out.push(serialise(errorResponse(item.ctx.summary.id ?? null, item.outcome.error)));
    } else if (item.ctx.summary.kind === 'request') {
      options.answerUpstream(errorResponse(item.ctx.summary.id ?? null, item.outcome.error));
    }
    // A refused notification is dropped (audited by the pipeline's observers).
  }
  if (out.length === 0) return;
  const data = body.batch ? `[${out.map((b) => b.toString()).join(',')}]` : out[0]!.toString();
  await write(res, serialiseSseEvent({ event: event.event, data, id: event.id, retry: event.retry }));
}

async function answerOutstanding(res: ServerResponse, options: SseRelayOptions, error: WardenError): Promise<void> {
  if (options.outstanding === undefined || res.destroyed) return;
  for (const id of options.outstanding) {
    await write(res, serialiseSseEvent({ event: 'message', data: serialise(errorResponse(id, error)) }));
  }
  options.outstanding.clear();
}

/** Writes and waits for the socket to drain when its buffer is full (backpressure to the upstream). */
export function write(res: ServerResponse, text: string): Promise<void> {
  // Ended (credential expiry, shutdown) or gone: writing now would throw write-after-end.
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
