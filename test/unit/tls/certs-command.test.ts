import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { runCertsCommand } from './src/cli/certs-command.ts'; process.exitCode = await runCertsCommand(process.argv.slice(1));", ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('mcp-warden certs rotate', () => {
  it('replaces the self-signed pair named by the config (SANs from listen.tls), 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-certs-'));
    try {
      const config = join(dir, 'warden.yaml');
      writeFileSync(config, `listen: {tls: {mode: self-signed, dir: tls, hostnames: [warden.local], ips: [127.0.0.1]}}\nupstreams: [{name: a, url: "http://127.0.0.1:1/mcp", path: /mcp}]\npolicy: {bundle: policies/}\n`);
      const first = run(['rotate', '--config', config]);
      assert.equal(first.status, 0, first.stderr);
      const a = new X509Certificate(readFileSync(join(dir, 'tls/server.crt')));
      assert.match(a.subjectAltName!, /DNS:warden\.local/);
      assert.equal(statSync(join(dir, 'tls/server.key')).mode & 0o777, 0o600);
      assert.equal(run(['rotate', '--config', config]).status, 0);
      const b = new X509Certificate(readFileSync(join(dir, 'tls/server.crt')));
      assert.notEqual(a.fingerprint256, b.fingerprint256);
      assert.match(run(['show', '--config', config]).stdout, new RegExp(b.fingerprint256));
      writeFileSync(config, readFileSync(config, 'utf8').replace('self-signed', 'off'));
      assert.equal(run(['rotate', '--config', config]).status, 2, 'refused when the config does not use self-signed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
