import type { MessageContext } from './exchange-context.ts';

/**
 * The typed policy decision (DESIGN.md policy contract), as validated by policy/. Stored on the
 * message context under DECISION_NOTE so that redaction and audit read it without importing policy/.
 */
export interface Decision {
  readonly allow: boolean;
  readonly reason: string;
  readonly rule: string;
  /** Entity types to redact in what flows back for this exchange. */
  readonly redact: readonly string[];
  readonly audit: { readonly level: 'full' | 'metadata' | 'none' };
  readonly decisionId: string;
  readonly bundleRevision: string;
}

export const DECISION_NOTE = 'policy.decision';

/** The decision for this message, or for the request a response answers. */
export function decisionFor(ctx: MessageContext): Decision | undefined {
  return (ctx.notes.get(DECISION_NOTE) as Decision | undefined) ?? (ctx.request?.notes.get(DECISION_NOTE) as Decision | undefined);
}
