import type { Decision } from '../pipeline/decision.ts';
import type { Direction, TransportName } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';

/**
 * The neutral facts of one audit event, gathered from a request (and its response) or from a
 * security event. Renderers (OCSF, then ECS and CEF from it) read only this. Never holds a
 * credential or argument value; `args` exists only when configured, and is redacted.
 */
export interface ExchangeFacts {
  readonly source: 'exchange' | 'security';
  /** Security event type, or `mcp.exchange` / `mcp.message`. */
  readonly eventCode: string;
  readonly direction?: Direction;
  readonly messageKind?: 'request' | 'notification' | 'response';
  readonly method?: string;
  readonly jsonrpcId?: string | number | null;
  readonly tool?: string;
  readonly resourceUri?: string;
  readonly prompt?: string;
  readonly argsDigest?: string;
  readonly args?: unknown;
  readonly principal?: AuditPrincipal;
  readonly clientIp?: string;
  readonly userAgent?: string;
  readonly transport?: TransportName;
  readonly upstream?: string;
  readonly sessionId?: string;
  readonly protocolVersion?: string;
  readonly decision?: Decision;
  readonly decisionId?: string;
  /** Epoch milliseconds when the first message of the event was received. */
  readonly startedAt: number;
  readonly durationMs?: number;
  readonly outcome: 'success' | 'failure' | 'unknown';
  /** Stable mcp-warden code of a refusal (e.g. WARDEN_ERR_POLICY_DENIED). */
  readonly wardenCode?: string;
  readonly refusedBy?: string;
  readonly jsonrpcErrorCode?: number;
  readonly message: string;
  readonly statusDetail?: string;
  readonly redaction?: { readonly counts: Readonly<Record<string, number>>; readonly paths: readonly string[] };
  /** Why the response is missing from an exchange event. */
  readonly responseMissing?: 'timeout' | 'evicted' | 'shutdown';
  /** A response whose request was already audited without it. */
  readonly late?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What an event says of the caller: who, how authenticated, with which roles. Never the token's
 * claims (personal data, often) or scopes: facts are written to the audit journal on disk, and only
 * what an event shows may go there.
 */
export type AuditPrincipal = Pick<Principal, 'id' | 'issuer' | 'auth' | 'roles'>;

/** One per principal (a connection keeps its principal), so that an event costs no copy. */
const auditPrincipals = new WeakMap<Principal, AuditPrincipal>();

export function auditPrincipal(p: Principal): AuditPrincipal {
  let a = auditPrincipals.get(p);
  if (a === undefined) {
    a = p.issuer === undefined ? { id: p.id, auth: p.auth, roles: p.roles } : { id: p.id, issuer: p.issuer, auth: p.auth, roles: p.roles };
    auditPrincipals.set(p, a);
  }
  return a;
}
