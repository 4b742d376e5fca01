import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { sampleFacts, tempDir } from './spool-helpers.ts';

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

describe('the audit thread', () => {
  it('when it dies, the events waiting for it and every new request are refused (WARDEN_ERR_AUDIT_UNAVAILABLE), /readyz fails, and it is logged and counted', async () => {
    const { logger, lines } = capturingLogger();
    const before = await metricValue('mcp_warden_audit_internal_errors_total', { where: 'thread' });
    // A stand-in audit thread that starts, then crashes on the first events it is given.
    const crashing = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (m) => { if (m.type === 'events') process.exit(7); });
      parentPort.postMessage({ type: 'ready' });`;
    const thread = await AuditThread.start({ config: config(tempDir()), baseDir: '.', replicaId: 'r' }, logger, { entry: crashing, eval: true });
    assert.equal(thread.refusal(), undefined);
    await assert.rejects(thread.write(sampleFacts()), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    const refusal = thread.refusal();
    assert.ok(refusal !== undefined && refusal.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'new requests are refused');
    assert.match(refusal.detail ?? '', /exited with code 7/);
    assert.deepEqual(thread.readiness(), { ok: false, reason: 'audit thread stopped (exited with code 7)' });
    await assert.rejects(thread.write(sampleFacts()), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'later events fail at once');
    void thread.write(sampleFacts()); // a dropped promise (a forwarded notification's event) must not crash the process
    await assert.rejects(thread.drain(), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'drain does not pretend');
    await new Promise((r) => setImmediate(r));
    assert.ok(lines().some((l) => l.level === 50 && String(l.msg).startsWith('audit thread stopped')));
    assert.equal(await metricValue('mcp_warden_audit_internal_errors_total', { where: 'thread' }), before + 1);
    await thread.close();
  });

  it('closing right after a write, with a thread that exits instead of answering: the write fails, close ends, nothing throws', async () => {
    const exitsOnClose = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (m) => { if (m.type === 'close') process.exit(0); });
      parentPort.postMessage({ type: 'ready' });`;
    const thread = await AuditThread.start({ config: config(tempDir()), baseDir: '.', replicaId: 'r' }, pino({ level: 'silent' }), { entry: exitsOnClose, eval: true });
    const written = thread.write(sampleFacts());
    await thread.close();
    await assert.rejects(written, (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    await assert.rejects(thread.write(sampleFacts()), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE', 'no write after close');
    await new Promise((r) => setImmediate(r)); // the write's own scheduled send has run by now, harmlessly
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
    const throwsNull = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (m) => { if (m.type === 'events') throw null; });
      parentPort.postMessage({ type: 'ready' });`;
    const thread = await AuditThread.start({ config: config(tempDir()), baseDir: '.', replicaId: 'r' }, pino({ level: 'silent' }), { entry: throwsNull, eval: true });
    await assert.rejects(thread.write(sampleFacts()), (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    assert.match(thread.refusal()?.detail ?? '', /error: null/);
    await thread.close();
  });

  it('events still waiting when close() gives up on the thread are logged and counted as dropped, not lost silently', async () => {
    const { logger, lines } = capturingLogger();
    const before = await metricValue('mcp_warden_audit_events_dropped_total', { reason: 'thread_stopped' });
    const neverAnswers = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', () => {});
      parentPort.postMessage({ type: 'ready' });`;
    const thread = await AuditThread.start({ config: config(tempDir()), baseDir: '.', replicaId: 'r' }, logger, { entry: neverAnswers, eval: true });
    const a = thread.write(sampleFacts());
    const b = thread.write(sampleFacts());
    await thread.close(200);
    await assert.rejects(a, (err) => isWardenError(err) && err.code === 'WARDEN_ERR_AUDIT_UNAVAILABLE');
    assert.equal(a, b, 'one batch');
    assert.equal(await metricValue('mcp_warden_audit_events_dropped_total', { reason: 'thread_stopped' }), before + 2);
    assert.ok(lines().some((l) => l.level === 50 && l.events === 2 && String(l.msg).startsWith('audit: events not written')));
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
