import { pino } from 'pino';
import { auditConfigSchema } from '../../../src/audit/audit-config.ts';
import { createAudit, type Audit } from '../../../src/audit/create-audit.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { DECISION_NOTE } from '../../../src/pipeline/decision.ts';
import { PASS, type Stage } from '../../../src/pipeline/stage.ts';
import { connection, ctxFor, decision } from '../../unit/audit/contexts.ts';
import { tempDir } from '../../unit/audit/spool-helpers.ts';

export const quiet = pino({ level: process.env.AUDIT_TEST_LOG ?? 'silent' });

/** createAudit from a config document (validated by the real schema), spool in a fresh temp dir. */
export async function startAudit(doc: Record<string, unknown>, options: { spoolDir?: string; replicaId?: string } = {}): Promise<Audit & { spoolDir: string }> {
  const spoolDir = options.spoolDir ?? tempDir('warden-spool-');
  const config = auditConfigSchema.parse({ ...doc, spool: { dir: spoolDir, fsync: 'batched', fsync_interval_ms: 20, ...((doc.spool as object | undefined) ?? {}) } });
  const audit = await createAudit({ config, logger: quiet, baseDir: process.cwd(), replicaId: options.replicaId ?? 'replica-test' });
  return Object.assign(audit, { spoolDir });
}

const allow: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.notes.set(DECISION_NOTE, decision({ decisionId: ctx.decisionId })), PASS) };

/** Runs `n` tools/call exchanges (request + response) through a real Pipeline observed by audit. */
export async function exchanges(audit: Audit, n: number, from = 0): Promise<void> {
  const pipeline = new Pipeline({ toServer: [allow], toClient: [] }, [audit.observer]);
  const conn = connection();
  for (let i = from; i < from + n; i++) {
    const req = ctxFor({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${i}` } } }, 'to_server', conn);
    await pipeline.run(req);
    await pipeline.run(ctxFor({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `m${i}` }] } }, 'to_client', conn, req));
  }
}

/** Sequence numbers seen, with the count of duplicates. */
export function tally(seqs: readonly number[]): { unique: Set<number>; duplicates: number } {
  const unique = new Set(seqs);
  return { unique, duplicates: seqs.length - unique.size };
}

export function missing(unique: Set<number>, last: number): number[] {
  const out: number[] = [];
  for (let s = 1; s <= last; s++) if (!unique.has(s)) out.push(s);
  return out;
}
