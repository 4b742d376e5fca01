import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { parseConfig } from '../../src/config/load-config.ts';
import type { WardenConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startWarden, type RunningWarden } from '../../src/cli/serve.ts';
import type { StateStore } from '../../src/state/state-store.ts';

/** A config document as a test writes it (before defaults): validated exactly like a file would be. */
export type ConfigInput = Record<string, unknown> & { upstreams: unknown[] };

export interface TestWarden extends RunningWarden {
  /** The proxy URL for an upstream path, e.g. url('/mcp') → http://127.0.0.1:PORT/mcp */
  url(path: string): string;
  readonly config: WardenConfig;
  /** Everything mcp-warden logged, one parsed JSON object per line. */
  logs(): Record<string, unknown>[];
}

/**
 * Starts mcp-warden in-process on an ephemeral loopback port from a config object. Defaults that
 * tests rarely care about are filled in: listen on 127.0.0.1:0, admin on port 0, policy bundle
 * from `policies/` of this repo. The config still goes through the real schema validation.
 */
export async function startTestWarden(input: ConfigInput, options: { state?: StateStore; baseDir?: string } = {}): Promise<TestWarden> {
  const document = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    policy: { bundle: 'policies/' },
    logging: { level: 'info' },
    ...input,
  };
  const config = parseConfig(JSON.stringify(document), 'test-config.json');
  const lines: Record<string, unknown>[] = [];
  const sink = new PassThrough();
  let pending = '';
  sink.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const logger = createLogger(config.logging.level, sink);
  const running = await startWarden(config, { logger, baseDir: options.baseDir ?? process.cwd(), ...(options.state ? { state: options.state } : {}) });
  return {
    ...running,
    config,
    url: (path: string) => `${running.origin}${path}`,
    logs: () => lines,
    close: (graceMs?: number) => running.close(graceMs ?? 1_000),
  };
}

export const TEST_TMP = tmpdir();

/**
 * Policy data under which the default policy lets every tool, prompt and resource through: for
 * tests that check transport transparency (same results direct and through mcp-warden), not policy.
 */
export const TRANSPARENT_POLICY_DATA: Record<string, unknown> = {
  tools: { '*': 'read' },
  resources: ['*'],
  prompts: ['*'],
  server_requests: { 'sampling/createMessage': 'allow', 'elicitation/create': 'allow', 'roots/list': 'allow' },
};

/** Adds an mcp-warden target in front of `upstreamUrl` to a peer test's target table. */
export async function addWardenTarget(
  targets: { add(name: string, url: string, close?: () => Promise<void>): unknown },
  upstreamUrl: string,
  transport: 'streamable-http' | 'sse' | 'websocket',
  extra: Record<string, unknown> = {},
): Promise<TestWarden> {
  const path = transport === 'sse' ? '/sse' : transport === 'websocket' ? '/ws' : '/mcp';
  const warden = await startTestWarden({
    upstreams: [{ name: 'peer', url: upstreamUrl, transport, path }],
    policy: { bundle: 'policies/', data: TRANSPARENT_POLICY_DATA },
    ...extra,
  });
  const url = transport === 'websocket' ? warden.url(path).replace(/^http/, 'ws') : warden.url(path);
  targets.add('mcp-warden', url, () => warden.close());
  return warden;
}
