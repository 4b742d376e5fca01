import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExchangeTracker } from '../../../src/audit/exchange-tracker.ts';
import { unlinkedEvent } from '../../../src/audit/ocsf-event.ts';
import { segmentName, segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { verifyChain } from '../../../src/audit/verify.ts';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { PASS, reject, type Stage } from '../../../src/pipeline/stage.ts';
import { connection, ctxFor } from './contexts.ts';
import { openSpool, sampleEvent, tempDir } from './spool-helpers.ts';

/**
 * A client must never hold the answer to a call whose audit event only exists in memory: a kill -9
 * right after the answer went out would lose the event (the no-loss e2e test found exactly that).
 * So the pipeline releases an exchange's outcome only once its event is in the segment file.
 */
const denyGetEnv: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.summary.tool === 'get-env' ? reject(new WardenError('WARDEN_ERR_POLICY_DENIED')) : PASS) };

describe('audit: an exchange is released only once its event is written', () => {
  it('a response and a refusal are in the spool file when pipeline.run returns; a forwarded request is not held', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    const tracker = new ExchangeTracker({ arguments: 'digest', maxPending: 100, timeoutMs: 60_000, emit: (f) => spool.append(unlinkedEvent(f, 'u', Date.now())), onError: (err) => assert.fail(String(err)) });
    const pipeline = new Pipeline({ toServer: [denyGetEnv], toClient: [] }, [tracker]);
    const onDisk = () => readFileSync(join(dir, 'segments', segmentName(1)), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { unmapped: { mcp: { jsonrpc_id: number } }; status: string });
    try {
      const conn = connection();
      const req = ctxFor({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { m: 1 } } }, 'to_server', conn);
      await pipeline.run(req);
      assert.equal(onDisk().length, 0, 'the request is forwarded at once; its event waits for the response');
      await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 7, result: { content: [] } }, 'to_client', conn, req));
      assert.deepEqual(onDisk().map((e) => [e.unmapped.mcp.jsonrpc_id, e.status]), [[7, 'Success']]);
      await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'get-env' } }, 'to_server', conn));
      assert.deepEqual(onDisk().map((e) => [e.unmapped.mcp.jsonrpc_id, e.status]), [[7, 'Success'], [8, 'Failure']]);
    } finally {
      tracker.close();
      await spool.close();
    }
  });

  it('exchanges refused in the same turn are all written before any is released', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    try {
      const tracker = new ExchangeTracker({ arguments: 'digest', maxPending: 100, timeoutMs: 60_000, emit: (f) => spool.append(unlinkedEvent(f, 'u', Date.now())), onError: () => {} });
      const pipeline = new Pipeline({ toServer: [denyGetEnv], toClient: [] }, [tracker]);
      const conn = connection();
      const released: number[] = [];
      const runs = Array.from({ length: 50 }, (_, i) => pipeline.run(ctxFor({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get-env' } }, 'to_server', conn)).then(() => released.push(spool.lastSeq)));
      await Promise.all(runs);
      assert.equal(released.length, 50);
      assert.ok(released.every((seq) => seq === 50), `released only after the batch holding all 50 was written (${released.join(',')})`);
      tracker.close();
    } finally {
      await spool.close();
    }
  });
});

describe('audit spool: a failing write', () => {
  it('closed while its write fails: the waiting events are refused (never reported written) and counted as dropped', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096 });
    mkdirSync(segmentPath(dir, 2)); // the next segment cannot be created
    const writes = Array.from({ length: 10 }, () => spool.append(sampleEvent()));
    await spool.drain();
    await spool.close();
    await assert.rejects(Promise.all(writes), /closed before the event could be written/);
    await assert.rejects(spool.append(sampleEvent()), /closed/, 'an event appended after close is refused too');
  });

  it('holds the waiters and refuses new requests until a retry writes the events; no gap, chain intact', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096 });
    try {
      // The next segment cannot be created (a directory stands where its file would go).
      mkdirSync(segmentPath(dir, 2));
      let released = false;
      const writes = Array.from({ length: 10 }, () => spool.append(sampleEvent()));
      void Promise.all(writes).then(() => (released = true));
      await spool.drain();
      assert.equal(spool.admission()?.code, 'WARDEN_ERR_AUDIT_SPOOL_FULL', 'fail closed while the write fails');
      assert.equal(released, false, 'no answer is released for events that are not written');
      rmdirSync(segmentPath(dir, 2));
      // The spool retries after a second (its timer does not hold the process open: this one does).
      const keepAlive = setTimeout(() => {}, 10_000);
      await Promise.all(writes);
      clearTimeout(keepAlive);
      assert.equal(spool.admission(), undefined);
      for (let i = 0; i < 5; i++) spool.append(sampleEvent());
      await spool.drain();
      assert.equal(spool.lastSeq, 15);
    } finally {
      await spool.close();
    }
    const report = await verifyChain(dir);
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.events, 15);
  });
});
