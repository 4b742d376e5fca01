import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { auditConfigSchema } from '../../../src/audit/audit-config.ts';
import { AUDIT_METRICS } from '../../../src/audit/audit-metrics.ts';
import { AuditThread } from '../../../src/audit/audit-thread.ts';
import { createAudit } from '../../../src/audit/create-audit.ts';
import { isWardenError } from '../../../src/errors/warden-error.ts';
import { metricsRegistry } from '../../../src/metrics/registry.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { ALICE, connection, ctxFor } from './contexts.ts';
import { readSpool, sampleFacts, tempDir } from './spool-helpers.ts';

/** A logger whose lines are kept, as the proxy's log destination would receive them. */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (out.push(chunk.toString()), done()) });
  return { logger: pino({ level: 'info' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metricsRegistry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

function config(dir: string, extra: Record<string, unknown> = {}) {
  return auditConfigSchema.parse({ spool: { dir: join(dir, 'spool') }, sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }], ...extra });
}

/** A stand-in audit thread: reports ready (its spool dir from the config), then does what `body` says. */
function standIn(body: string): { entry: string; eval: true } {
  return {
    entry: `const { parentPort, workerData } = require('node:worker_threads');
      ${body}
      parentPort.postMessage({ type: 'ready', spoolDir: workerData.config.spool.dir });`,
    eval: true,
  };
}

/** Starts the real audit thread on `dir`'s spool and journal, drains it and returns the jsonrpc ids now in the spool. */
async function spooledByNextStart(dir: string): Promise<unknown[]> {
  const thread = await AuditThread.start({ config: config(dir), baseDir: dir, replicaId: 'r' }, pino({ level: 'silent' }));
  await thread.drain();
  await thread.close();
  return readSpool(join(dir, 'spool')).map((e) => (e.unmapped as { mcp?: { jsonrpc_id?: unknown } } | undefined)?.mcp?.jsonrpc_id);
}

describe('the audit thread', () => {
  it('when it dies, new requests are refused (WARDEN_ERR_AUDIT_UNAVAILABLE), /readyz fails, it is logged and counted; what is in the journal is spooled at the next start', async () => {
    const { logger, lines } = capturingLogger();
    const before = await metricValue('mcp_warden_audit_internal_errors_total', { where: 'thread' });
    const dir = tempDir();
    // A stand-in audit thread that starts, then crashes on the first question it is asked.
    const thread = await AuditThread.start({ config: config(dir), baseDir: '.', replicaId: 'r' }, logger, standIn("parentPort.on('message', () => process.exit(7));"));
    assert.equal(thread.refusal(), undefined);
    await thread.write(sampleFacts(1)); // in the journal: its answer may go
    await assert.rejects(thread.drain(), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'drain does not pretend');
    const refusal = thread.refusal();
    assert.ok(refusal !== undefined && refusal.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'new requests are refused');
    assert.match(refusal.detail ?? '', /exited with code 7/);
    assert.deepEqual(thread.readiness(), { ok: false, reason: 'audit thread stopped (exited with code 7)' });
    await thread.write(sampleFacts(2)); // a request admitted before the death still gets its event kept
    await new Promise((r) => setImmediate(r));
    assert.ok(lines().some((l) => l.level === 50 && String(l.msg).startsWith('audit thread stopped')));
    assert.equal(await metricValue('mcp_warden_audit_internal_errors_total', { where: 'thread' }), before + 1);
    await thread.close();
    assert.deepEqual(await spooledByNextStart(dir), [1, 2], 'nothing written to the journal is lost, nothing is spooled twice');
  });

  it('closing right after a write, with a thread that exits instead of answering: close ends, nothing throws, and the next start spools the event', async () => {
    const dir = tempDir();
    const thread = await AuditThread.start({ config: config(dir), baseDir: '.', replicaId: 'r' }, pino({ level: 'silent' }), standIn("parentPort.on('message', (m) => { if (m.type === 'close') process.exit(0); });"));
    const written = thread.write(sampleFacts(1));
    await thread.close();
    await written;
    await assert.rejects(thread.write(sampleFacts(2)), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'no write after close');
    await new Promise((r) => setImmediate(r)); // the write's own scheduled append has run by now, harmlessly
    assert.deepEqual(await spooledByNextStart(dir), [1]);
  });

  it('an event whose facts cannot be serialised fails alone; the others of its turn are written', async () => {
    const dir = tempDir();
    const thread = await AuditThread.start({ config: config(dir), baseDir: dir, replicaId: 'r' }, pino({ level: 'silent' }));
    const good = thread.write(sampleFacts());
    const bad = thread.write({ ...sampleFacts(), source: 'security', details: { n: 1n } });
    await assert.rejects(bad, (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    await good;
    assert.equal(await thread.drain(), 1);
    await thread.close();
  });

  it('every audit metric in the registry is mirrored from the audit thread', () => {
    const mirrored = new Set(AUDIT_METRICS.map((m) => (m as unknown as { name: string }).name));
    const registered = metricsRegistry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name).filter((n) => n.startsWith('mcp_warden_audit_'));
    assert.ok(registered.length >= 9);
    assert.deepEqual(registered.filter((n) => !mirrored.has(n)), []);
  });

  it('a thread that throws a non-Error dies like any other: refused, not a crash of the proxy', async () => {
    const thread = await AuditThread.start({ config: config(tempDir()), baseDir: '.', replicaId: 'r' }, pino({ level: 'silent' }), standIn("parentPort.on('message', () => { throw null; });"));
    await assert.rejects(thread.drain(), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    assert.match(thread.refusal()?.detail ?? '', /error: null/);
    await thread.close();
  });

  it('close() that gives up on a thread that never answers: the events stay in the journal (logged), and the next start spools them once', async () => {
    const { logger, lines } = capturingLogger();
    const dir = tempDir();
    const thread = await AuditThread.start({ config: config(dir), baseDir: '.', replicaId: 'r' }, logger, standIn("parentPort.on('message', () => {});"));
    const a = thread.write(sampleFacts(1));
    const b = thread.write(sampleFacts(2));
    assert.equal(a, b, 'one turn, one journal write');
    await a;
    await thread.close(200);
    assert.ok(lines().some((l) => l.level === 40 && (l.bytes as number) > 0 && String(l.msg).startsWith('audit: events are in the journal')));
    assert.deepEqual(await spooledByNextStart(dir), [1, 2]);
  });

  it('a journal it cannot write: the answers of that turn and new requests are refused and counted; a write is tried again after a second, and then all is as before', async () => {
    const { logger, lines } = capturingLogger();
    const dir = tempDir();
    const dropped = await metricValue('mcp_warden_audit_events_dropped_total', { reason: 'journal' });
    const thread = await AuditThread.start({ config: config(dir, { spool: { dir: join(dir, 'spool'), journal_file_bytes: 4096 } }), baseDir: dir, replicaId: 'r' }, logger);
    try {
      const journalDir = join(dir, 'spool', 'journal');
      const next = Number(readdirSync(journalDir).sort().at(-1)?.slice(0, 12)) + 1;
      const blocked = join(journalDir, `${String(next).padStart(12, '0')}.jsonl`);
      mkdirSync(blocked); // once the current file is full, the next cannot be opened
      let written = 0;
      let failure: unknown;
      for (let id = 0; id < 100 && failure === undefined; id++) {
        await thread.write(sampleFacts(id)).then(() => written++, (err: unknown) => (failure = err));
      }
      assert.ok(isWardenError(failure) && failure.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'the answer whose event could not be kept is refused');
      assert.match(failure.detail ?? '', /journal write failing: EISDIR/);
      assert.match(thread.refusal()?.detail ?? '', /journal write failing: EISDIR/, 'new requests are refused');
      assert.deepEqual(thread.readiness(), { ok: false, reason: 'audit journal write failing (EISDIR)' });
      assert.equal(await metricValue('mcp_warden_audit_events_dropped_total', { reason: 'journal' }), dropped + 1);
      assert.ok(lines().some((l) => l.level === 50 && String(l.msg).startsWith('audit: could not append to the journal')));

      rmdirSync(blocked);
      // A timer's start is the event loop's cached time, which can lag the moment of the failure.
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(thread.refusal(), undefined, 'after a second one request is let through to try again');
      await thread.write(sampleFacts(1000));
      assert.deepEqual(thread.readiness(), { ok: true });
      assert.equal(await thread.drain(), written + 1, 'every event whose answer went out is spooled');
    } finally {
      await thread.close();
    }
  });

  it('fsync always: a write resolves only once its event is in the spool file', async () => {
    const dir = tempDir();
    const thread = await AuditThread.start({ config: config(dir, { spool: { dir: join(dir, 'spool'), fsync: 'always' } }), baseDir: dir, replicaId: 'r' }, pino({ level: 'silent' }));
    try {
      for (const id of [1, 2, 3]) {
        await thread.write(sampleFacts(id));
        assert.equal(readSpool(join(dir, 'spool')).at(-1)?.message, `call ${id}`, 'synced in the spool before the answer may go');
      }
    } finally {
      await thread.close();
    }
  });

  it('an audit thread that falls behind by more than journal_max_bytes: new requests are refused (WARDEN_ERR_AUDIT_SPOOL_FULL), /readyz fails', async () => {
    const dir = tempDir();
    const thread = await AuditThread.start({ config: config(dir, { spool: { dir: join(dir, 'spool'), journal_max_bytes: 65_536 } }), baseDir: '.', replicaId: 'r' }, pino({ level: 'silent' }), standIn("parentPort.on('message', () => {});"));
    let id = 0;
    while (thread.refusal() === undefined && id < 10_000) await thread.write(sampleFacts(id++));
    const refusal = thread.refusal();
    assert.equal(refusal?.code, 'WARDEN_ERR_AUDIT_SPOOL_FULL');
    assert.match(refusal?.detail ?? '', /audit journal holds \d+ bytes not yet spooled \(max 65536\)/);
    assert.ok(id > 50, `refused only once the backlog passed the bound (${id} events)`);
    assert.deepEqual(thread.readiness(), { ok: false, reason: 'audit journal backlog over journal_max_bytes' });
    await thread.close(100);
  });

  it("the journal on disk holds what events show of the caller, never the token's claims or scopes", async () => {
    const dir = tempDir();
    const audit = await createAudit({ config: config(dir), logger: pino({ level: 'silent' }), baseDir: dir, replicaId: 'r' });
    try {
      const pipeline = new Pipeline({ toServer: [], toClient: [] }, [audit.observer]);
      const conn = connection(); // ALICE: claims {secret_claim: 'must-not-appear'}, scopes ['mcp:read']
      const req = ctxFor({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { m: 1 } } }, 'to_server', conn);
      await pipeline.run(req);
      await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 1, result: { content: [] } }, 'to_client', conn, req));
      audit.port.record({ type: 'authn.failure', outcome: 'failure', message: 'bad token', principal: ALICE });
      await new Promise((r) => setImmediate(r));
      const journalDir = join(dir, 'spool', 'journal');
      const journal = readdirSync(journalDir).map((f) => readFileSync(join(journalDir, f), 'utf8')).join('');
      assert.equal(journal.trim().split('\n').length, 2, 'both events are in the journal');
      assert.match(journal, /"id":"alice"/);
      assert.doesNotMatch(journal, /must-not-appear|secret_claim|mcp:read/);
      assert.doesNotMatch(journal, /"m":1/, 'with arguments: digest, the arguments themselves stay out too');
      assert.match(journal, /"argsDigest":"sha256:/);
    } finally {
      await audit.close();
    }
  });

  it('a spool this process already holds is refused to a second audit thread (another thread of the same pid is a live owner)', async () => {
    const dir = tempDir();
    const first = await createAudit({ config: config(dir), logger: pino({ level: 'silent' }), baseDir: dir, replicaId: 'r' });
    try {
      await assert.rejects(createAudit({ config: config(dir), logger: pino({ level: 'silent' }), baseDir: dir, replicaId: 'r' }), /in use by process/);
    } finally {
      await first.close();
    }
  });

  it('a spool it cannot open makes createAudit fail with the reason (mcp-warden does not start unaudited)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    await assert.rejects(createAudit({ config: auditConfigSchema.parse({ spool: { dir: join(dir, 'not-a-dir', 'spool') }, sinks: [{ type: 'stdout' }] }), logger: pino({ level: 'silent' }), baseDir: dir, replicaId: 'r' }), /ENOTDIR/);
  });

  it("its log lines reach the proxy thread's log destination, and its metrics the proxy's registry", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'spool'));
    const { logger, lines } = capturingLogger();
    const written = await metricValue('mcp_warden_audit_events_written_total');
    const acked = await metricValue('mcp_warden_audit_events_acknowledged_total', { sink: 'file-0' });
    const audit = await createAudit({ config: config(dir), logger, baseDir: dir, replicaId: 'r' });
    for (let i = 0; i < 5; i++) audit.port.record({ type: 'config.reloaded', outcome: 'success', message: `reload ${i}` });
    const seq = await audit.drain();
    assert.equal(seq, 5);
    assert.ok(await audit.waitForSink(0, seq, 10_000));
    await audit.close(); // sends the thread's last metrics
    const started = lines().find((l) => l.msg === 'audit started');
    assert.ok(started !== undefined, 'the audit thread logged through the proxy logger');
    assert.equal(started.component, 'audit');
    assert.equal(await metricValue('mcp_warden_audit_events_written_total'), written + 5);
    assert.equal(await metricValue('mcp_warden_audit_events_acknowledged_total', { sink: 'file-0' }), acked + 5);
  });
});
