import { readFileSync } from 'node:fs';

// Who holds a spool LOCK, and whether that process still runs (the lock itself: spool-lock.ts).

/** This boot of the machine (Linux): a lock written before a reboot names no live process. */
const BOOT_ID = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();

/**
 * When a process started, as a token that tells two processes with the same pid apart:
 * `proc:<boot id>:<start time in clock ticks since boot>` from /proc/<pid>/stat (exact, the same in
 * every thread), or undefined where that cannot be read.
 */
function procStart(pid: number): string | undefined {
  if (BOOT_ID === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces or ')'.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22, starttime
    return ticks !== undefined && /^\d+$/.test(ticks) ? `proc:${BOOT_ID}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/** This process's token; where there is no /proc, epoch ms from the uptime (each thread works it out anew: compared within 2 s). */
export function ourStart(): string {
  return procStart(process.pid) ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`;
}

/** Whether the process a lock names (`pid`, `token`) may still be running and writing. */
function ownerIsLive(pid: number, token: string | undefined): boolean {
  if (pid === process.pid) {
    const ours = ourStart();
    if (token === ours) return true; // this process: another of its threads
    if (token?.startsWith('ms:') === true && ours.startsWith('ms:')) return Math.abs(Number(token.slice(3)) - Number(ours.slice(3))) < 2000;
    if (token?.startsWith('proc:') === true) return !ours.startsWith('proc:'); // an earlier run (or boot) with our pid; unsure if we cannot read our own
    return token?.startsWith('ms:') === true; // a bare pid (older format): an earlier run, since our threads write a token
  }
  if (token?.startsWith('proc:') === true && BOOT_ID !== undefined && !token.startsWith(`proc:${BOOT_ID}:`)) return false;
  if (!isAlive(pid)) return false;
  // A live pid whose start differs from the lock's is another process that got the pid later.
  const now = token?.startsWith('proc:') === true ? procStart(pid) : undefined;
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

/** Whether the process a LOCK file's content names (`<pid>\n<token>\n`) may still be running and writing. */
export function lockOwnerIsLive(lockContent: string): boolean {
  const [pidText = '', token] = lockContent.trim().split('\n');
  const owner = Number(pidText);
  return Number.isInteger(owner) && owner > 0 && ownerIsLive(owner, token);
}
