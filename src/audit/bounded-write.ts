import { WardenError } from '../errors/warden-error.ts';
import { auditErrors } from './audit-metrics.ts';

/**
 * An exchange's answer waits for its audit event to be on disk (no loss on a crash) — with fsync
 * `always`, synced in the spool — but not forever: a spool that cannot write (disk full of other
 * data, I/O errors) must not hang every client. Past `timeoutMs` the wait fails with WARDEN_ERR_AUDIT_UNAVAILABLE, which the
 * pipeline turns into a refusal: an answer is never released without its event (fail closed).
 * The event itself stays queued and is written once the spool recovers.
 */
export function boundedWrite(written: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      auditErrors.inc({ where: 'write_timeout' });
      reject(new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE', { detail: `audit event not written to the spool within ${timeoutMs} ms` }));
    }, timeoutMs);
  });
  return Promise.race([written, timedOut]).finally(() => clearTimeout(timer));
}
