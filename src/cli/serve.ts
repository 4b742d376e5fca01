import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WardenConfig } from '../config/schema.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { WardenServer } from '../transports/warden-server.ts';
import { composeWarden, type WardenParts } from './compose.ts';

export interface RunningWarden {
  readonly address: AddressInfo;
  /** e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  readonly parts: WardenParts;
  close(graceMs?: number): Promise<void>;
}

/** Composes and starts mcp-warden from a validated config. Used by the CLI, the demo and tests. */
export async function startWarden(config: WardenConfig, options: { logger: Logger; baseDir: string; state?: StateStore }): Promise<RunningWarden> {
  const parts = await composeWarden({ config, logger: options.logger, baseDir: options.baseDir, state: options.state ?? new MemoryStateStore() });
  const server = new WardenServer(config, parts, options.logger);
  let address: AddressInfo;
  try {
    address = await server.listen();
  } catch (err) {
    await parts.close();
    throw err;
  }
  const scheme = parts.tls === undefined ? 'http' : 'https';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `${scheme}://${host}:${address.port}`;
  options.logger.info({ origin, upstreams: config.upstreams.map((u) => ({ name: u.name, path: u.path, transport: u.transport })) }, 'mcp-warden listening');
  let closing: Promise<void> | undefined;
  return {
    address,
    origin,
    parts,
    close(graceMs = config.shutdown.grace_ms) {
      closing ??= (async () => {
        await server.close(graceMs);
        await parts.close();
      })();
      return closing;
    },
  };
}
