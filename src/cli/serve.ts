import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WardenConfig } from '../config/schema.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { WardenServer } from '../transports/warden-server.ts';
import { AdminToken } from '../admin/admin-token.ts';
import { startAdminServer, type RunningAdminServer } from '../admin/admin-server.ts';
import { composeWarden, type WardenParts } from './compose.ts';

export interface RunningWarden {
  readonly address: AddressInfo;
  /** e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  readonly parts: WardenParts;
  /** The admin API (edit mode, status), or undefined when `admin.enabled: false`. */
  readonly adminUrl: string | undefined;
  close(graceMs?: number): Promise<void>;
}

/** Composes and starts mcp-warden from a validated config. Used by the CLI, the demo and tests. */
export async function startWarden(config: WardenConfig, options: { logger: Logger; baseDir: string; state?: StateStore }): Promise<RunningWarden> {
  const parts = await composeWarden({ config, logger: options.logger, baseDir: options.baseDir, state: options.state ?? new MemoryStateStore() });
  const server = new WardenServer(config, parts, options.logger);
  let address: AddressInfo;
  let admin: RunningAdminServer | undefined;
  try {
    address = await server.listen();
    if (config.admin.enabled) {
      admin = await startAdminServer({
        host: config.admin.host,
        port: config.admin.port,
        routes: parts.adminRoutes,
        authenticator: parts.authenticator,
        token: AdminToken.fromConfig(config.admin.token_sha256),
        logger: options.logger.child({ component: 'admin' }),
        audit: parts.audit,
      });
    }
  } catch (err) {
    await server.close(0);
    await parts.close();
    throw err;
  }
  const scheme = parts.tls === undefined ? 'http' : 'https';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `${scheme}://${host}:${address.port}`;
  options.logger.info({ origin, admin: admin?.url, upstreams: config.upstreams.map((u) => ({ name: u.name, path: u.path, transport: u.transport })) }, 'mcp-warden listening');
  let closing: Promise<void> | undefined;
  return {
    address,
    origin,
    parts,
    adminUrl: admin?.url,
    close(graceMs = config.shutdown.grace_ms) {
      closing ??= (async () => {
        await server.close(graceMs);
        await admin?.close();
        await parts.close();
      })();
      return closing;
    },
  };
}
