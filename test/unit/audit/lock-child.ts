/**
 * A child process for the spool lock race test: waits until the file argv[3] exists (so that all
 * children start together), tries to take the lock on the directory argv[2], prints `acquired` or
 * `refused …`, and holds a lock it got for a moment before releasing it.
 */
import { existsSync } from 'node:fs';
import { acquireLock } from '../../../src/audit/spool/spool-lock.ts';

const [dir, go] = process.argv.slice(2) as [string, string];
process.stdout.write('ready\n');
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
try {
  const release = await acquireLock(dir);
  process.stdout.write('acquired\n');
  await new Promise((r) => setTimeout(r, 1000));
  await release();
} catch (err) {
  process.stdout.write(`refused ${(err as Error).message}\n`);
}
