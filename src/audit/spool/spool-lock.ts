import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * When a process started, as a token that tells two processes with the same pid apart: the start
 * time in clock ticks since boot from /proc/<pid>/stat (exact, the same in every thread), or, where
 * there is no /proc, epoch milliseconds worked out from the uptime (this process only, and each
 * thread works it out anew: compared within 2 s).
 */
function startToken(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22, starttime
    return ticks !== undefined && /^\d+$/.test(ticks) ? `proc:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

const OUR_START = startToken(process.pid) ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`;

/** Whether `token`, read from a lock, names the process that runs as `pid` now. */
function sameProcess(pid: number, token: string | undefined): boolean {
  if (pid === process.pid) return token === OUR_START || (token?.startsWith('ms:') === true && OUR_START.startsWith('ms:') && Math.abs(Number(token.slice(3)) - Number(OUR_START.slice(3))) < 2000);
  if (!isAlive(pid)) return false;
  // A live pid whose start differs from the lock's is another process that got the pid later.
  const now = token?.startsWith('proc:') === true ? startToken(pid) : undefined;
  return now === undefined || now === token;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per spool directory: a LOCK file holding the owner's pid and start token. Two
 * writers would fork the chain, so a live owner is an error; a lock left by a process that is gone
 * (kill -9) is taken over. "Gone" includes a pid now held by another process: our own pid from an
 * earlier run (pid 1 in a container restarted after a kill -9), or any pid that was reused, told
 * apart by the start time. This process itself (another of its threads) is a live owner.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid}\n${OUR_START}\n`);
      await fh.close();
      return async () => {
        await unlink(file).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText = '', token] = (await readFile(file, 'utf8').catch(() => '')).trim().split('\n');
      const owner = Number(pidText);
      if (Number.isInteger(owner) && owner > 0 && sameProcess(owner, token)) {
        throw new Error(`audit spool ${dir} is in use by process ${owner}`);
      }
      await unlink(file).catch(() => {});
    }
  }
  throw new Error(`audit spool ${dir}: cannot take the lock`);
}
