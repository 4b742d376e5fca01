import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRecordingUpstream, defaultReply } from '../../helpers/recording-upstream.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });

describe('mcp-warden CLI', () => {
  it('--version prints the package version; --help prints usage', () => {
    const version = cli(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const help = cli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /mcp-warden serve --config FILE/);
  });

  it('an unknown command exits 2 with usage', () => {
    const r = cli(['frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('an invalid config exits 2 and names every bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen: {port: -1}\nupstreams: []\npolicy: {bundle: x}\nsurprise: 1\n');
    const r = cli(['serve', '--config', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /listen\.port:/);
    assert.match(r.stderr, /upstreams: at least one upstream is required/);
    assert.match(r.stderr, /unknown key\(s\) 'surprise'/);
  });

  it('a missing config file exits 2 with the path', () => {
    const r = cli(['serve', '--config', '/nonexistent/warden.yaml']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\/nonexistent\/warden\.yaml: cannot read: ENOENT/);
  });
});

describe('mcp-warden serve: ${secret:NAME}', () => {
  it('resolves an encrypted credential from secrets.enc.yaml beside the config, and refuses a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    const key = cli(['secret', 'keygen']).stdout.trim();
    const env = { WARDEN_SECRET_KEY: key };
    const sealed = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'secret', 'encrypt', '--name', 'UPSTREAM_TOKEN', '--file', join(dir, 'secrets.enc.yaml')], {
      input: 'proxy-own-token\n',
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    assert.equal(sealed.status, 0, sealed.stderr);
    const config = (ref: string) =>
      `listen: {port: 0}\nupstreams:\n  - {name: u, url: "http://127.0.0.1:9/mcp", path: /mcp, auth: {value: "Bearer \${secret:${ref}}"}}\npolicy: {bundle: ${join(process.cwd(), 'policies')}}\nadmin: {port: 0}\nsurprise: 1\n`;
    // An unknown top-level key makes serve stop after substitution and validation, before listening:
    // the message shows whether the secret reference itself was resolved.
    writeFileSync(join(dir, 'ok.yaml'), config('UPSTREAM_TOKEN'));
    const ok = cli(['serve', '--config', join(dir, 'ok.yaml')], env);
    assert.equal(ok.status, 2);
    assert.doesNotMatch(ok.stderr, /secret:UPSTREAM_TOKEN/);
    assert.match(ok.stderr, /unknown key\(s\) 'surprise'/);
    assert.doesNotMatch(ok.stderr, /proxy-own-token/, 'a secret value never appears in an error');
    writeFileSync(join(dir, 'missing.yaml'), config('NOPE'));
    const missing = cli(['serve', '--config', join(dir, 'missing.yaml')], env);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /secret:NOPE/);
  });
});

describe('mcp-warden serve: graceful shutdown', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  before(async () => {
    upstream = await startRecordingUpstream(async (req, res) => {
      await new Promise((r) => setTimeout(r, 700)); // an exchange still in flight at SIGTERM
      defaultReply(req, res);
    });
  });
  after(async () => upstream.close());

  it('on SIGTERM stops accepting, lets the in-flight exchange finish, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    const file = join(dir, 'warden.yaml');
    writeFileSync(
      file,
      `listen: {host: 127.0.0.1, port: 0}\nupstreams:\n  - {name: rec, url: "${upstream.url}", path: /mcp}\npolicy: {bundle: ${join(process.cwd(), 'policies')}}\nadmin: {port: 0}\nshutdown: {grace_ms: 5000}\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let origin: string | undefined;
      for (let i = 0; i < 200 && origin === undefined; i++) {
        origin = /"origin":"(http:\/\/[^"]+)"/.exec(out)?.[1];
        if (origin === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(origin, `mcp-warden did not start:\n${out}`);
      const inFlight = fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}',
      });
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGTERM');
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { id: number }).id, 1);
      assert.equal(await exited, 0);
      assert.match(out, /shutting down/);
      await assert.rejects(fetch(`${origin}/healthz`), 'no longer accepting connections');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
