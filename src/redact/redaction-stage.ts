import { WardenError } from '../errors/warden-error.ts';
import { decisionFor } from '../pipeline/decision.ts';
import type { Direction, MessageContext } from '../pipeline/exchange-context.ts';
import { PASS, mutate, reject, type Stage, type StageResult } from '../pipeline/stage.ts';
import { ActionTable } from './actions.ts';
import { customDetector } from './detectors/custom-detector.ts';
import { BUILTIN_DETECTORS } from './detectors/index.ts';
import { MessageRedactor, type RedactionEvidence } from './message-redactor.ts';
import { redactBlockedTotal, redactScanSeconds, redactScannedBytesTotal, redactionsTotal } from './redact-metrics.ts';
import { HASH_KEY_ENV, type RedactionConfig } from './redaction-config.ts';
import { Scanner } from './scanner.ts';

/** Where the stage leaves its evidence for audit: `{counts: {TYPE: n}, paths: ['$.result…']}`. */
export const REDACT_EVIDENCE_NOTE = 'redact.evidence';

/**
 * The redaction stage. Scans what the upstream sends (responses, notifications, server→client
 * requests) and, with `scan_arguments`, what the client sends. The entity types come from the
 * policy decision's `redact` list; without a decision (policy not wired, or a message no policy
 * decided on) every type is redacted: fail closed.
 *
 * Returns `mutate` only when a value changed, so untouched messages keep their exact bytes; a
 * `block` finding rejects with WARDEN_ERR_REDACT_BLOCKED (the transport answers the request id).
 */
export function createRedactionStage(config: RedactionConfig): Stage {
  const directions: Direction[] = !config.enabled ? [] : config.scan_arguments ? ['to_client', 'to_server'] : ['to_client'];
  const detectors = [...BUILTIN_DETECTORS, ...config.custom.map((c) => customDetector(c.type, c.pattern, c.ignore_case))];
  const scanner = new Scanner(detectors);
  const known = new Set(scanner.types);
  const actions = new ActionTable(config.actions, config.default_action, config.hash_key ?? process.env[HASH_KEY_ENV]);
  const redactor = new MessageRedactor(scanner, actions, { scanBlobs: config.scan_blobs });
  // Decisions are often shared objects (the policy caches them): compile each redact list once.
  const wantedCache = new WeakMap<readonly string[], ReadonlySet<string>>();
  const wantedFor = (list: readonly string[]): ReadonlySet<string> => {
    let set = wantedCache.get(list);
    if (set === undefined) {
      set = new Set(list.filter((t) => known.has(t)));
      wantedCache.set(list, set);
    }
    return set;
  };

  return {
    name: 'redact',
    directions,
    process(ctx: MessageContext): StageResult {
      const decision = decisionFor(ctx);
      const wanted = decision === undefined ? undefined : wantedFor(decision.redact);
      if (wanted !== undefined && wanted.size === 0) return PASS;
      const started = performance.now();
      const result = redactor.redact(ctx.message, wanted);
      redactScanSeconds.observe({ direction: ctx.direction }, (performance.now() - started) / 1000);
      redactScannedBytesTotal.inc({ direction: ctx.direction }, ctx.raw?.length ?? 0);
      const types = Object.keys(result.counts);
      if (types.length > 0) {
        const evidence: RedactionEvidence = { counts: result.counts, paths: result.paths };
        ctx.notes.set(REDACT_EVIDENCE_NOTE, evidence);
        for (const t of types) redactionsTotal.inc({ entity_type: t, action: actions.actionFor(t) }, result.counts[t]);
      }
      if (result.blocked) {
        redactBlockedTotal.inc();
        return reject(new WardenError('WARDEN_ERR_REDACT_BLOCKED', { detail: `withheld: ${types.join(', ')}` }));
      }
      return result.changed ? mutate(result.message) : PASS;
    },
  };
}
