import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/child-process.ts';

const PROXY = join(REPO_ROOT, 'node_modules', 'mcp-remote', 'dist', 'proxy.js');

export interface McpRemote {
  /** Sends a JSON-RPC request on mcp-remote's stdin and resolves with the reply from its stdout. */
  request(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  notify(method: string): void;
  /** Everything mcp-remote printed on stderr (its log for the user). */
  stderr(): string;
  /** Resolves with stderr once it matches `pattern`; rejects after `timeoutMs` or when mcp-remote exits first. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** URLs mcp-remote asked "the browser" to open (BROWSER points at a script that records them). */
  browserUrls(): string[];
  /** Resolves with the exit code once mcp-remote exits (null if killed). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * mcp-remote (the stdio ↔ remote bridge Claude Desktop users run) as a child process, in a
 * throw-away HOME and MCP_REMOTE_CONFIG_DIR so that no token or client registration is shared
 * between tests or left behind. It never opens a real browser: no display variables are passed,
 * and BROWSER (which the xdg-open that `open` bundles honours when there is no desktop) is a
 * script that only records the URL, so a test can play the user. `stop()` kills the whole
 * process group, with a deadline: a hung sign-in cannot hang the test run.
 */
export function startMcpRemote(url: string, args: string[]): McpRemote {
  const home = mkdtempSync(join(tmpdir(), 'warden-mcp-remote-'));
  const browserLog = join(home, 'browser.log');
  const browser = join(home, 'record-browser.sh');
  writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${browserLog}'\n`);
  chmodSync(browser, 0o755);
  const child = spawn(process.execPath, [PROXY, url, '--allow-http', ...args], {
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth'), BROWSER: browser },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let stdout = '';
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  const stderrWaiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of stderrWaiters) wake();
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    let nl;
    while ((nl = stdout.indexOf('\n')) !== -1) {
      const line = stdout.slice(0, nl).trim();
      stdout = stdout.slice(nl + 1);
      if (line === '') continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      if (typeof message.id === 'number') pending.get(message.id)?.(message);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    for (const wake of stderrWaiters) wake();
  });
  let alive = true;
  void exited.then(() => (alive = false));
  let nextId = 1;

  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };

  return {
    request(method, params, timeoutMs = 30_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`mcp-remote: no reply to ${method} in ${timeoutMs} ms\n${stderr.slice(-4000)}`));
        }, timeoutMs);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(reply);
        });
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`);
      });
    },
    notify(method) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
    },
    stderr: () => stderr,
    waitForStderr(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = (err?: Error) => {
          clearTimeout(timer);
          stderrWaiters.delete(check);
          if (err === undefined) resolve(stderr);
          else reject(err);
        };
        const check = () => {
          if (pattern.test(stderr)) done();
          else if (!alive) done(new Error(`mcp-remote exited before printing ${pattern}\n${stderr.slice(-4000)}`));
        };
        const timer = setTimeout(() => done(new Error(`mcp-remote did not print ${pattern} in ${timeoutMs} ms\n${stderr.slice(-4000)}`)), timeoutMs);
        stderrWaiters.add(check);
        check();
      });
    },
    browserUrls: () => (existsSync(browserLog) ? readFileSync(browserLog, 'utf8').split('\n').filter((l) => l !== '') : []),
    exited,
    async stop() {
      if (alive) {
        kill('SIGTERM');
        const deadline = setTimeout(() => kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(deadline);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
