import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { DECISION_NOTE } from '../../../src/pipeline/decision.ts';
import { PASS, type Stage } from '../../../src/pipeline/stage.ts';
import { connection, ctxFor, decision } from '../../unit/audit/contexts.ts';
import { startAudit } from './audit-harness.ts';

function onDisk(spoolDir: string): { status?: string; unmapped?: { mcp?: { jsonrpc_id?: number } } }[] {
  const dir = join(spoolDir, 'segments');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { status?: string; unmapped?: { mcp?: { jsonrpc_id?: number } } });
}

const allow: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.notes.set(DECISION_NOTE, decision({ decisionId: ctx.decisionId })), PASS) };

/**
 * A spool that cannot write (here: the next segment's file name is taken by a directory) holds
 * answers until their events are written, but not forever: past audit.spool.write_timeout_ms the
 * answer is refused with WARDEN_ERR_AUDIT_UNAVAILABLE instead of hanging the client or being
 * released without its event. Once the spool can write again, the event is there.
 */
describe('audit: an answer waits for its event only up to write_timeout_ms', () => {
  it('refuses the response with WARDEN_ERR_AUDIT_UNAVAILABLE while the spool cannot write; the event is written later', async () => {
    const audit = await startAudit({ sinks: [{ type: 'stdout' }], spool: { segment_bytes: 4096, write_timeout_ms: 300, retention_ms: 3_600_000 } });
    try {
      const pipeline = new Pipeline({ toServer: [allow], toClient: [] }, [audit.observer]);
      const conn = connection();
      mkdirSync(segmentPath(audit.spoolDir, 2));
      // Fill segment 1 until the spool must rotate into the blocked segment 2.
      let outcome;
      let id = 0;
      for (; id < 200; id++) {
        const req = ctxFor({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(100) } } }, 'to_server', conn);
        await pipeline.run(req);
        outcome = await pipeline.run(ctxFor({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } }, 'to_client', conn, req));
        if (outcome.action === 'reject') break;
      }
      assert.equal(outcome?.action, 'reject', 'a response was released although its event could not be written');
      assert.equal(outcome.action === 'reject' && outcome.error.code, 'WARDEN_ERR_AUDIT_UNAVAILABLE');
      assert.equal(outcome.action === 'reject' && outcome.error.httpStatus, 503);

      rmdirSync(segmentPath(audit.spoolDir, 2));
      const keepAlive = setTimeout(() => {}, 10_000); // the spool's retry timer does not hold the process open
      const withheld = () => onDisk(audit.spoolDir).filter((e) => e.unmapped?.mcp?.jsonrpc_id === id);
      for (let i = 0; i < 100 && withheld().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      clearTimeout(keepAlive);
      const events = withheld();
      assert.deepEqual(events.map((e) => e.status), ['Success', 'Failure'], 'the decision as made, then the refusal the client saw');
      assert.match(JSON.stringify(events[1]), /WARDEN_ERR_AUDIT_UNAVAILABLE/);
    } finally {
      await audit.close();
    }
  });
});
