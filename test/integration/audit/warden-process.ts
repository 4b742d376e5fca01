import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersHttp, freePort, REPO_ROOT, spawnChild, waitUntil, type ManagedChild } from '../../helpers/child-process.ts';

const CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/**
 * `mcp-warden serve --config FILE` as its own process (src/cli/main.ts through tsx) on a port fixed
 * for its lifetime, so that it can be SIGKILLed and started again on the same port and the same
 * spool directory while clients keep using one URL.
 */
export class WardenProcess {
  readonly #config: Record<string, unknown>;
  readonly #file: string;
  #port = 0;
  #managed: ManagedChild | undefined;
  /** Output of earlier (killed) processes, for failure messages. */
  #earlier = '';

  constructor(config: Record<string, unknown>) {
    this.#config = config;
    this.#file = join(mkdtempSync(join(tmpdir(), 'warden-proc-')), 'warden.json');
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    if (this.#port === 0) this.#port = await freePort();
    writeFileSync(this.#file, JSON.stringify({ ...this.#config, listen: { host: '127.0.0.1', port: this.#port } }, null, 2));
    const managed = spawnChild('mcp-warden', process.execPath, ['--import', 'tsx', CLI, 'serve', '--config', this.#file], { env: { ...process.env, NODE_ENV: 'production' } });
    this.#managed = managed;
    await waitUntil(managed, () => answersHttp(`${this.origin}/healthz`), 30_000);
  }

  /** SIGKILL: no shutdown handler runs; whatever was only in memory is gone. */
  async kill9(): Promise<void> {
    const managed = this.#managed;
    if (managed === undefined) return;
    this.#managed = undefined;
    const exited = new Promise<void>((r) => (managed.child.exitCode !== null || managed.child.signalCode !== null ? r() : managed.child.once('exit', () => r())));
    managed.child.kill('SIGKILL');
    await exited;
    this.#earlier += managed.output();
    await managed.stop(); // bookkeeping only: the process is gone
  }

  /** SIGTERM: the graceful shutdown (drain the spool, close the sinks). */
  async stop(): Promise<void> {
    const managed = this.#managed;
    this.#managed = undefined;
    await managed?.stop(15_000);
    if (managed !== undefined) this.#earlier += managed.output();
  }

  output(): string {
    return this.#earlier + (this.#managed?.output() ?? '');
  }
}
