import type { AuditPort, SecurityEvent } from '../pipeline/audit-port.ts';
import { redactArguments } from './arguments.ts';
import { auditPrincipal, type ExchangeFacts } from './audit-facts.ts';

/**
 * The AuditPort: security events that are not one message (authentication failures, session
 * binding refusals, bundle loads, edit mode changes, tool definition changes, config reloads).
 * `details` pass through the argument redactor as a second line of defence against a credential
 * slipping in. Never throws, never blocks.
 */
export class SecurityEventPort implements AuditPort {
  readonly #emit: (f: ExchangeFacts) => void;
  readonly #onError: (err: unknown) => void;

  constructor(emit: (f: ExchangeFacts) => void, onError: (err: unknown) => void) {
    this.#emit = emit;
    this.#onError = onError;
  }

  record(event: SecurityEvent): void {
    try {
      this.#emit({
        source: 'security',
        eventCode: event.type,
        startedAt: Date.now(),
        outcome: event.outcome,
        message: event.message,
        ...(event.principal !== undefined ? { principal: auditPrincipal(event.principal) } : {}),
        ...(event.clientIp !== undefined ? { clientIp: event.clientIp } : {}),
        ...(event.userAgent !== undefined ? { userAgent: event.userAgent } : {}),
        ...(event.upstream !== undefined ? { upstream: event.upstream } : {}),
        ...(event.sessionId !== undefined ? { sessionId: event.sessionId } : {}),
        ...(event.code !== undefined ? { wardenCode: event.code } : {}),
        ...(event.outcome === 'failure' ? { statusDetail: event.message } : {}),
        ...(event.details !== undefined ? { details: redactArguments(event.details) as Record<string, unknown> } : {}),
      });
    } catch (err) {
      this.#onError(err);
    }
  }
}
