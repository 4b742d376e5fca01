import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acquireLock } from '../../../src/audit/spool/spool-lock.ts';
import { tempDir } from './spool-helpers.ts';

const BOOT_ID = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

function startTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
}

/** Starts `n` processes that each try to take the lock on `dir` at the same moment; resolves with what each printed. */
async function race(dir: string, n: number): Promise<string[]> {
  const go = join(tempDir(), 'go');
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', 'test/unit/audit/lock-child.ts', dir, go], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outputs = children.map((child) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    return { ready: () => out.includes('ready'), done: new Promise<string>((resolve) => child.once('close', () => resolve(out.replace('ready\n', '').trim()))) };
  });
  while (!outputs.every((o) => o.ready())) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(go, '');
  return Promise.all(outputs.map((o) => o.done));
}

describe('spool lock', () => {
  it('a lock whose pid now belongs to another process (reused pid), or that is from before a reboot, is taken over; one naming that live process is not', async () => {
    const dir = tempDir();
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = other.pid as number;
      writeFileSync(join(dir, 'LOCK'), `${pid}\nproc:${BOOT_ID}:${startTicks(pid)}\n`);
      await assert.rejects(acquireLock(dir), new RegExp(`in use by process ${pid}`), 'the live owner keeps its lock');
      writeFileSync(join(dir, 'LOCK'), `${pid}\n`);
      await assert.rejects(acquireLock(dir), /in use by process/, 'a lock without a start time: a live pid is trusted');

      writeFileSync(join(dir, 'LOCK'), `${pid}\nproc:${BOOT_ID}:1\n`); // the pid's owner when the lock was written started at tick 1
      let release = await acquireLock(dir);
      assert.match(readFileSync(join(dir, 'LOCK'), 'utf8'), new RegExp(`^${process.pid}\\nproc:${BOOT_ID}:\\d+\\n$`));
      await release();

      writeFileSync(join(dir, 'LOCK'), `${pid}\nproc:00000000-0000-0000-0000-000000000000:${startTicks(pid)}\n`); // same pid and start, an earlier boot
      release = await acquireLock(dir);
      await release();
      assert.deepEqual(readdirSync(dir), [], 'no LOCK and no temporary files are left behind');
    } finally {
      other.kill();
    }
  });

  it('release removes only its own lock, not one another process took over meanwhile', async () => {
    const dir = tempDir();
    const release = await acquireLock(dir);
    writeFileSync(join(dir, 'LOCK'), '999999\nproc:x:1\n');
    await release();
    assert.equal(readFileSync(join(dir, 'LOCK'), 'utf8'), '999999\nproc:x:1\n');
  });

  it('a taker that died half-way through a takeover (its marker left behind) does not stop the next start', async () => {
    const dir = tempDir();
    const stale = '999999\nproc:x:1\n';
    writeFileSync(join(dir, 'LOCK'), stale);
    const marker = `LOCK.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
    writeFileSync(join(dir, marker), '999998\nproc:x:2\n'); // created the marker, then was killed
    const release = await acquireLock(dir);
    assert.match(readFileSync(join(dir, 'LOCK'), 'utf8'), new RegExp(`^${process.pid}\\n`));
    await release();
    assert.deepEqual(readdirSync(dir), [], 'the markers go with a clean release');
  });

  it('processes that start together over a stale lock: exactly one takes it, the others are refused', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      writeFileSync(join(dir, 'LOCK'), '999999\nproc:x:1\n'); // left by a process that is gone
      const results = await race(dir, 6);
      assert.equal(results.filter((r) => r === 'acquired').length, 1, `round ${round}: ${JSON.stringify(results)}`);
      assert.ok(results.every((r) => r === 'acquired' || /^refused audit spool .* is in use by process \d+$/.test(r)), JSON.stringify(results));
    }
  });
});
