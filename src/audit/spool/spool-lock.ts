import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockOwnerIsLive, ourStart } from './lock-owner.ts';

/**
 * One process per spool directory: a LOCK file holding the owner's pid and start token. Two
 * writers would fork the chain, so a live owner is an error; a lock left by a process that is gone
 * (kill -9) is taken over. "Gone" includes a pid now held by another process: our own pid from an
 * earlier run (pid 1 in a container restarted after a kill -9), any pid that was reused (told apart
 * by the start time), and any lock from before a reboot. This process itself (another of its
 * threads) is a live owner.
 *
 * Several processes may start at once, so no step is "check, then act":
 * - LOCK is created whole, by linking a file that already holds the content (nobody ever reads an
 *   empty LOCK and takes it for stale);
 * - a stale LOCK is replaced only by the one process that created `LOCK.takeover-<digest of the
 *   stale content>` (exclusive create); the others wait for it and then find its live lock. The
 *   marker stays until the new owner releases the lock, so that a process that read the stale
 *   content long ago cannot take over again. A taker that died mid-way leaves a marker whose owner
 *   is gone: the next marker's name covers that one's content too, so the takeover still happens
 *   exactly once.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'LOCK');
  const content = `${process.pid}\n${ourStart()}\n`;
  const tmp = join(dir, `LOCK.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content);
  try {
    const deadline = performance.now() + TAKEOVER_WAIT_MS;
    while (performance.now() < deadline) {
      if (await createExclusive(tmp, file, content)) return releaser(dir, file, content);
      const seen = await readIfThere(file);
      if (seen === undefined) continue; // released meanwhile: try again
      if (lockOwnerIsLive(seen)) throw new Error(`audit spool ${dir} is in use by process ${Number(seen.split('\n')[0])}`);
      if (await takeOver(dir, file, seen, tmp, content)) return releaser(dir, file, content);
      await new Promise((r) => setTimeout(r, 10)); // another process is taking over: wait for its lock
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  throw new Error(`audit spool ${dir}: cannot take the lock (another process is taking it over)`);
}

/** How long a start waits for another process that is taking over the same stale lock. */
const TAKEOVER_WAIT_MS = 5000;

/**
 * Replaces the stale lock `stale` with ours if we are the one process that may (we created the
 * marker for it). False if another live process holds that marker: it is taking over.
 */
async function takeOver(dir: string, file: string, stale: string, tmp: string, content: string): Promise<boolean> {
  let key = stale;
  for (;;) {
    const marker = join(dir, `${TAKEOVER_PREFIX}${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
    if (await createExclusive(tmp, marker, content)) break;
    const other = await readIfThere(marker);
    if (other === undefined) continue; // released by a finished owner: try again
    if (lockOwnerIsLive(other)) return false;
    key += other; // that taker died mid-way: the takeover goes on under the next marker
  }
  // Ours alone to replace: nobody else can hold this marker, and LOCK's stale owner is gone.
  if ((await readIfThere(file)) !== stale) return false;
  await rename(tmp, file);
  return true;
}

const TAKEOVER_PREFIX = 'LOCK.takeover-';

/** Creates `target` holding `content` (`tmp` holds it already); false if `target` exists. */
async function createExclusive(tmp: string, target: string, content: string): Promise<boolean> {
  try {
    await link(tmp, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  }
  // A file system without hard links: exclusive create, then write (a short window in which the file is empty).
  try {
    const fh = await open(target, 'wx');
    await fh.writeFile(content);
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes our lock (never one another process took over meanwhile), then the takeover markers. */
function releaser(dir: string, file: string, content: string): () => Promise<void> {
  return async () => {
    if ((await readIfThere(file).catch(() => undefined)) !== content) return;
    await unlink(file).catch(() => {});
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.startsWith(TAKEOVER_PREFIX)) await unlink(join(dir, name)).catch(() => {});
    }
  };
}
