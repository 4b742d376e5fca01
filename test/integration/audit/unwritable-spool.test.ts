import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { DECISION_NOTE } from '../../../src/pipeline/decision.ts';
import { PASS, type Stage } from '../../../src/pipeline/stage.ts';
import { connection, ctxFor, decision } from '../../unit/audit/contexts.ts';
import { readSpool } from '../../unit/audit/spool-helpers.ts';
import { startAudit } from './audit-harness.ts';

type SpooledEvent = { status?: string; unmapped?: { mcp?: { jsonrpc_id?: number } } };
const onDisk = (spoolDir: string) => readSpool(spoolDir) as SpooledEvent[];

const allow: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.notes.set(DECISION_NOTE, decision({ decisionId: ctx.decisionId })), PASS) };

/** Fills segment 1 with exchanges until the spool must rotate into segment 2, which a directory blocks. */
async function untilSpoolBlocked(audit: Awaited<ReturnType<typeof startAudit>>, pipeline: Pipeline, stop: (outcome: Awaited<ReturnType<Pipeline['run']>>) => boolean): Promise<{ id: number; outcome: Awaited<ReturnType<Pipeline['run']>> | undefined }> {
  const conn = connection();
  let outcome;
  let id = 0;
  for (; id < 400; id++) {
    const req = ctxFor({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(100) } } }, 'to_server', conn);
    await pipeline.run(req);
    outcome = await pipeline.run(ctxFor({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } }, 'to_client', conn, req));
    if (stop(outcome)) break;
    await new Promise((r) => setTimeout(r, 2)); // let the audit thread spool, as under real traffic
  }
  return { id, outcome };
}

/**
 * A spool that cannot write (here: the next segment's file name is taken by a directory). With
 * fsync `batched` an answer waits only for its event to be in the journal, so answers keep going
 * out while the spool fails, their events kept in the journal; new requests are refused as soon as
 * the audit thread reports the failure. With fsync `always` an answer waits for its event to be in
 * the spool, but only up to write_timeout_ms: then it is refused rather than hang the client or be
 * released without its event. Either way, once the spool can write again, every event is there.
 */
describe('audit: a spool that cannot write', () => {
  it('fsync batched: answers go out (their events are in the journal), new requests are refused, and every event is spooled once the spool recovers', async () => {
    const audit = await startAudit({ sinks: [{ type: 'stdout' }], spool: { segment_bytes: 4096, retention_ms: 3_600_000 } });
    try {
      const pipeline = new Pipeline({ toServer: [allow], toClient: [] }, [audit.observer]);
      mkdirSync(segmentPath(audit.spoolDir, 2));
      const { id, outcome } = await untilSpoolBlocked(audit, pipeline, () => audit.admission() !== undefined);
      assert.equal(outcome?.action, 'forward', 'the answers went out: their events are in the journal');
      const refusal = audit.admission();
      assert.equal(refusal?.code, 'WARDEN_ERR_AUDIT_SPOOL_FULL');
      assert.match(refusal?.detail ?? '', /write failing/);
      assert.match(audit.readiness().reason ?? '', /write failing/);

      rmdirSync(segmentPath(audit.spoolDir, 2));
      const keepAlive = setTimeout(() => {}, 10_000); // the spool's retry timer does not hold the process open
      assert.equal(await audit.drain(), id + 1, 'every exchange is spooled (one event each)');
      clearTimeout(keepAlive);
      const ids = onDisk(audit.spoolDir).map((e) => e.unmapped?.mcp?.jsonrpc_id);
      assert.deepEqual(ids, Array.from({ length: id + 1 }, (_, i) => i), 'each exchange once, in order');
      for (let i = 0; i < 40 && audit.admission() !== undefined; i++) await new Promise((r) => setTimeout(r, 25)); // the audit thread reports its state every 100 ms
      assert.equal(audit.admission(), undefined, 'requests are admitted again');
    } finally {
      await audit.close();
    }
  });

  it('fsync always: the answer waits up to write_timeout_ms, then is refused with WARDEN_ERR_AUDIT_UNAVAILABLE; the event is written later', async () => {
    const audit = await startAudit({ sinks: [{ type: 'stdout' }], spool: { segment_bytes: 4096, fsync: 'always', write_timeout_ms: 300, retention_ms: 3_600_000 } });
    try {
      const pipeline = new Pipeline({ toServer: [allow], toClient: [] }, [audit.observer]);
      mkdirSync(segmentPath(audit.spoolDir, 2));
      const { id, outcome } = await untilSpoolBlocked(audit, pipeline, (o) => o.action === 'reject');
      assert.equal(outcome?.action, 'reject', 'a response was released although its event could not be written');
      assert.equal(outcome.action === 'reject' && outcome.error.code, 'WARDEN_ERR_AUDIT_UNAVAILABLE');
      assert.equal(outcome.action === 'reject' && outcome.error.httpStatus, 503);

      rmdirSync(segmentPath(audit.spoolDir, 2));
      const keepAlive = setTimeout(() => {}, 10_000);
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
