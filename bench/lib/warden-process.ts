import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersHttp, freePort, REPO_ROOT, spawnChild, waitUntil } from '../../test/helpers/child-process.ts';

export interface RunningWardenProcess {
  readonly origin: string;
  readonly config: Record<string, unknown>;
  /** The mcp-warden process id (for CPU accounting from /proc). */
  readonly pid: number | undefined;
  output(): string;
  close(): Promise<void>;
}

const CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/**
 * mcp-warden as its own process (`mcp-warden serve --config FILE`, from src/ through tsx), in
 * front of `upstreamUrl`, so that it does not share an event loop with the load generator: the
 * same footing as nginx. The config is the shipping defaults (auth none, the default policy,
 * redaction on) plus a policy rule that makes the benchmark tools reads, so that calls are
 * allowed; `extra` is merged over the top level (e.g. `{ redaction: { enabled: false } }`).
 */
export async function startWardenProcess(upstreamUrl: string, options: { extra?: Record<string, unknown>; logLevel?: string } = {}): Promise<RunningWardenProcess> {
  if (!existsSync(CLI)) throw new Error(`mcp-warden CLI not found at ${CLI}`);
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-proxy-'));
  const port = await freePort();
  const config: Record<string, unknown> = {
    listen: { host: '127.0.0.1', port },
    admin: { host: '127.0.0.1', port: 0 },
    upstreams: [{ name: 'bench', url: upstreamUrl, transport: 'streamable-http', path: '/mcp' }],
    policy: { bundle: join(REPO_ROOT, 'policies'), data: { tools: { small: 'read', large: 'read', stream: 'read' } } },
    auth: { mode: 'none' },
    redaction: { enabled: true },
    logging: { level: options.logLevel ?? 'warn' },
    ...options.extra,
  };
  const file = join(dir, 'warden.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  // WARDEN_BENCH_CPU_PROF=<dir>: a V8 CPU profile of each mcp-warden process (written on its graceful exit).
  const profile = process.env.WARDEN_BENCH_CPU_PROF;
  const nodeArgs = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const managed = spawnChild('mcp-warden', process.execPath, [...nodeArgs, '--import', 'tsx', CLI, 'serve', '--config', file], { env: { ...process.env, NODE_ENV: 'production' } });
  try {
    await waitUntil(managed, () => answersHttp(`http://127.0.0.1:${port}/healthz`), 30_000);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    config,
    pid: managed.child.pid,
    output: () => managed.output(),
    async close() {
      await managed.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
