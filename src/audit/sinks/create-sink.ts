import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { SinkConfig } from '../audit-config.ts';
import { renderer } from '../render/render.ts';
import { FileSink } from './file-sink.ts';
import { sinkAgent, type HttpTls } from './http-post.ts';
import { OtlpSink } from './otlp-sink.ts';
import { RelpSink } from './relp-sink.ts';
import type { Sink } from './sink.ts';
import { SplunkHecSink } from './splunk-hec-sink.ts';
import { StdoutSink } from './stdout-sink.ts';
import { syslogFormatter } from './syslog-format.ts';
import { SyslogStreamSink } from './syslog-stream-sink.ts';
import { WebhookSink } from './webhook-sink.ts';

function tlsOptions(tls: HttpTls | undefined, host: string, resolvePath: (p: string) => string): ConnectionOptions {
  return {
    servername: tls?.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
    rejectUnauthorized: tls?.reject_unauthorized ?? true,
    ...(tls?.ca !== undefined ? { ca: readFileSync(resolvePath(tls.ca)) } : {}),
    ...(tls?.cert !== undefined ? { cert: readFileSync(resolvePath(tls.cert)) } : {}),
    ...(tls?.key !== undefined ? { key: readFileSync(resolvePath(tls.key)) } : {}),
  };
}

/** Builds the sink a config entry describes. Reads certificate files now, so a bad path fails at start-up. */
export function createSink(cfg: SinkConfig, name: string, deps: { resolvePath: (p: string) => string; logger: Logger }): Sink {
  const render = renderer(cfg.format);
  switch (cfg.type) {
    case 'file':
      return new FileSink({ name, path: deps.resolvePath(cfg.path), maxBytes: cfg.max_bytes, maxFiles: cfg.max_files, format: cfg.format });
    case 'stdout':
      return new StdoutSink({ name, format: cfg.format });
    case 'syslog': {
      const format = syslogFormatter({ facility: cfg.facility, appName: cfg.app_name, ...(cfg.hostname !== undefined ? { hostname: cfg.hostname } : {}) }, render);
      const tls = cfg.protocol === 'tls' || cfg.tls !== undefined ? tlsOptions(cfg.tls, cfg.host, deps.resolvePath) : undefined;
      if (cfg.protocol === 'relp') return new RelpSink({ name, host: cfg.host, port: cfg.port, tls, window: cfg.window, timeoutMs: cfg.timeout_ms, format });
      return new SyslogStreamSink({ name, host: cfg.host, port: cfg.port, tls, timeoutMs: cfg.timeout_ms, format });
    }
    case 'webhook':
      return new WebhookSink({ name, url: cfg.url, headers: cfg.headers, secret: cfg.hmac_secret, signatureHeader: cfg.signature_header, timeoutMs: cfg.timeout_ms, format: render, agent: sinkAgent(cfg.tls, deps.resolvePath) });
    case 'splunk_hec':
      return new SplunkHecSink({
        name, url: cfg.url, token: cfg.token, index: cfg.index, source: cfg.source, sourcetype: cfg.sourcetype, ack: cfg.ack, channel: cfg.channel,
        ackPollMs: cfg.ack_poll_ms, ackTimeoutMs: cfg.ack_timeout_ms, timeoutMs: cfg.timeout_ms, headers: cfg.headers, format: cfg.format, render, agent: sinkAgent(cfg.tls, deps.resolvePath),
      });
    case 'otlp':
      return new OtlpSink({ name, url: cfg.url, headers: cfg.headers, serviceName: cfg.service_name, timeoutMs: cfg.timeout_ms, format: render, agent: sinkAgent(cfg.tls, deps.resolvePath), logger: deps.logger });
  }
}
