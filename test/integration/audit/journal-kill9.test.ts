import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { verifyChain } from '../../../src/audit/verify.ts';
import { readSpool, tempDir } from '../../unit/audit/spool-helpers.ts';
import { startAudit } from './audit-harness.ts';

type Spooled = { unmapped?: { mcp?: { jsonrpc_id?: number } } };
const idsIn = (spoolDir: string) => (readSpool(spoolDir) as Spooled[]).map((e) => e.unmapped?.mcp?.jsonrpc_id);

/**
 * An answer goes out once its event is in the journal, before the audit thread has spooled it. So
 * the journal must survive a kill -9: here the spool cannot write past its first segment (a
 * directory blocks segment 2), 100 calls are answered, and the process is SIGKILLed. After a
 * restart every one of the 100 events is in the spool — once, in order, the chain intact.
 */
describe('audit journal survives kill -9', () => {
  it('events answered but not yet spooled when the process is SIGKILLed are spooled after restart, each once', async () => {
    const root = tempDir('warden-journal-kill9-');
    const spoolDir = join(root, 'spool');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/audit/journal-child.ts', root, '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not answer within 30 s')), 30_000);
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('answered 100')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`child exited early with ${code}`));
        });
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    }
    const before = idsIn(spoolDir).length;
    assert.ok(before > 0 && before < 100, `the spool held ${before} of the 100 answered events when the process was killed: the restart resumes after the newest`);

    rmdirSync(segmentPath(spoolDir, 2));
    const audit = await startAudit({ sinks: [{ type: 'file', path: join(root, 'sink.jsonl') }], spool: { segment_bytes: 4096, retention_ms: 3_600_000 } }, { spoolDir, replicaId: 'child' });
    try {
      assert.equal(await audit.drain(), 100);
      assert.deepEqual(idsIn(spoolDir), Array.from({ length: 100 }, (_, i) => i), 'every answered call, once, in order');
      const report = await verifyChain(spoolDir);
      assert.ok(report.ok, JSON.stringify(report.problem));
      assert.equal(report.events, 100);
      process.stdout.write(`# journal kill -9: ${before} of 100 events in the spool at the kill, 100 after restart\n`);
    } finally {
      await audit.close();
    }
  });
});
