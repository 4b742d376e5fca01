import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../unit/audit/spool-helpers.ts';
import { missing, tally } from './audit-harness.ts';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startChild(url: string, spoolDir: string, count: number): Promise<{ child: ChildProcess; lastSeq: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/audit/spool-child.ts', url, spoolDir, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not report within 30 s')), 30_000);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /spooled (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, lastSeq: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
}

describe('audit spool survives kill -9', () => {
  it('events not acknowledged when the process holding the spool is SIGKILLed are resent after restart', async () => {
    // Phase 1: the receiver acknowledges two batches, then takes the next ones and never answers.
    let phase = 1;
    const seen: number[] = [];
    const hung: ServerResponse[] = [];
    let requests = 0;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seqs = Buffer.concat(chunks).toString().trim().split('\n').map((l) => (JSON.parse(l) as { metadata: { sequence: number } }).metadata.sequence);
        requests++;
        seen.push(...seqs);
        if (phase === 1 && requests > 2) {
          hung.push(res); // received, never acknowledged
          return;
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const spoolDir = tempDir('warden-kill9-');
    try {
      const first = await startChild(url, spoolDir, 100);
      for (let i = 0; i < 200 && hung.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(hung.length > 0, 'a batch is in flight, unacknowledged');
      const receivedBeforeKill = seen.length;
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      for (const res of hung) res.destroy();
      phase = 2;
      const second = await startChild(url, spoolDir, 0);
      assert.equal(second.lastSeq, first.lastSeq, 'the restarted spool resumes at the same sequence');
      for (let i = 0; i < 400 && missing(tally(seen).unique, first.lastSeq).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
      second.child.kill('SIGTERM');
      const { unique, duplicates } = tally(seen);
      assert.equal(first.lastSeq, 100);
      assert.deepEqual(missing(unique, first.lastSeq), [], 'every event arrived');
      assert.ok(duplicates >= 20, 'the batch received but not acknowledged before the kill was sent again');
      process.stdout.write(`# kill -9: ${first.lastSeq} events, ${receivedBeforeKill} received before the kill, ${duplicates} duplicates after restart\n`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
