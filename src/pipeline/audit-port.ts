import type { Principal } from './principal.ts';

/**
 * Security-relevant events that are not a single message outcome (authentication failures, session
 * binding refusals, bundle loads, edit mode changes, tool definition changes, config reloads).
 * Implemented by audit/; every other area depends only on this port. `record` never throws and
 * never blocks.
 */
export type SecurityEventType =
  | 'authn.failure'
  | 'session.binding_refused'
  | 'policy.bundle_loaded'
  | 'policy.bundle_refused'
  | 'policy.edit_mode_changed'
  | 'policy.tool_definition_changed'
  | 'config.reloaded'
  | 'transport.refused';

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly outcome: 'success' | 'failure';
  readonly message: string;
  readonly principal?: Principal;
  readonly clientIp?: string;
  readonly userAgent?: string;
  readonly upstream?: string;
  readonly sessionId?: string;
  /** Stable error code when this is a refusal. */
  readonly code?: string;
  /** Extra fields; never credential values (DESIGN.md invariant 7). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditPort {
  record(event: SecurityEvent): void;
}

/** Used until audit/ is wired in, and in unit tests. */
export const NO_AUDIT: AuditPort = Object.freeze({ record: () => {} });
