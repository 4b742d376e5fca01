import type { IncomingMessage } from 'node:http';
import { WardenError } from '../errors/warden-error.ts';
import type { Principal } from '../pipeline/principal.ts';
import { clientIpOf } from './http-replies.ts';
import type { RouteContext } from './route-context.ts';

/**
 * A session (Mcp-Session-Id, legacy sessionId) presented by a principal other than the one that
 * opened it (DESIGN.md invariant 5): audited, and answered exactly like an unknown session, so the
 * caller learns nothing about whether it exists.
 */
export function foreignSessionRefusal(route: RouteContext, req: IncomingMessage, principal: Principal, sessionId: string | undefined, what: string): WardenError {
  route.audit.record({
    type: 'session.binding_refused',
    outcome: 'failure',
    message: `${what} was presented by a principal other than the one that opened it`,
    principal,
    clientIp: clientIpOf(req),
    upstream: route.upstream.name,
    sessionId,
    code: 'WARDEN_ERR_SESSION_UNKNOWN',
  });
  return new WardenError('WARDEN_ERR_SESSION_UNKNOWN', { detail: `${what} bound to another principal (presented by ${principal.id})` });
}
