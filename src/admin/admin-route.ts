import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../pipeline/principal.ts';

/**
 * A route on the admin listener (its own address, loopback by default, never the MCP path). The
 * admin server authenticates the caller and only calls a handler for a principal with role admin.
 */
export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a prefix ending in `/*`. */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, admin: Principal, body: unknown): Promise<void>;
}

/** An unauthenticated route on the MCP listener; handle() returns false when it does not apply. */
export interface PublicRoute {
  readonly method: 'GET';
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}
