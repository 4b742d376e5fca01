import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { open, seal } from '../../../src/secrets/secret-box.ts';
import { generateSecretKey, loadSecretKey } from '../../../src/secrets/secret-key.ts';
import { createSecretResolver, secretResolvers } from '../../../src/secrets/secret-resolver.ts';

const key = Buffer.from(generateSecretKey(), 'base64');

describe('secret box (AES-256-GCM)', () => {
  it('round-trips, uses a fresh nonce, and binds the value to its name and key', () => {
    const a = seal('GH_TOKEN', 'ghp_secret', key);
    const b = seal('GH_TOKEN', 'ghp_secret', key);
    assert.notEqual(a, b);
    assert.ok(!a.includes('ghp_secret'));
    assert.equal(open('GH_TOKEN', a, key), 'ghp_secret');
    assert.throws(() => open('OTHER', a, key), /cannot be decrypted/);
    assert.throws(() => open('GH_TOKEN', a, Buffer.from(generateSecretKey(), 'base64')), /cannot be decrypted/);
    const raw = Buffer.from(a.slice(8), 'base64url');
    raw[raw.length - 1]! ^= 1;
    assert.throws(() => open('GH_TOKEN', `wsec:v1:${raw.toString('base64url')}`, key), /cannot be decrypted/);
  });

  it('reads the key from the environment or a mounted file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
    try {
      assert.deepEqual(loadSecretKey({ WARDEN_SECRET_KEY: key.toString('base64') }), key);
      writeFileSync(join(dir, 'key'), `${key.toString('base64')}\n`);
      assert.deepEqual(loadSecretKey({ WARDEN_SECRET_KEY_FILE: join(dir, 'key') }), key);
      assert.throws(() => loadSecretKey({}), /WARDEN_SECRET_KEY/);
      assert.throws(() => loadSecretKey({ WARDEN_SECRET_KEY: 'c2hvcnQ=' }), /32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mcp-warden secret encrypt → ${secret:NAME} in a config', () => {
  let dir: string;
  const cli = (args: string[], input: string, env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { runSecretCommand } from './src/cli/secret-command.ts'; process.exitCode = await runSecretCommand(process.argv.slice(1));", ...args], {
      input,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-secrets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('encrypts from stdin into a 0600 file that never holds the plaintext; loadConfig resolves the reference', async () => {
    const env = { WARDEN_SECRET_KEY: key.toString('base64') };
    const file = join(dir, 'secrets.enc.yaml');
    const result = cli(['encrypt', '--name', 'UPSTREAM_TOKEN', '--file', file], 'tok-plaintext-123\n', env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /\$\{secret:UPSTREAM_TOKEN\}/);
    assert.ok(!readFileSync(file, 'utf8').includes('tok-plaintext-123'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const config = join(dir, 'warden.yaml');
    writeFileSync(config, `upstreams:\n  - name: gh\n    url: http://127.0.0.1:1/mcp\n    path: /mcp\n    auth: {scheme: Bearer, value: "\${secret:UPSTREAM_TOKEN}"}\npolicy: {bundle: policies/}\n`);
    const loaded = await loadConfig(config, secretResolvers(config, env));
    assert.equal(loaded.upstreams[0]!.auth?.value, 'tok-plaintext-123');
    // A missing secret or a wrong key is a config error naming the secret, never an empty value.
    writeFileSync(config, readFileSync(config, 'utf8').replace('UPSTREAM_TOKEN', 'NOPE'));
    await assert.rejects(loadConfig(config, secretResolvers(config, env)), /secret:NOPE/);
    await assert.rejects(loadConfig(config.replace('warden', 'x'), secretResolvers(config, env)));
    const wrong = createSecretResolver({ file, env: { WARDEN_SECRET_KEY: generateSecretKey() } });
    assert.throws(() => wrong('UPSTREAM_TOKEN'), /cannot be decrypted/);
  });

  it('refuses without a key (exit 2) and prints a key with keygen', () => {
    const noKey = cli(['encrypt', '--name', 'X'], 'v', { WARDEN_SECRET_KEY: '' , WARDEN_SECRET_KEY_FILE: '' });
    assert.equal(noKey.status, 2);
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { runSecretCommand } from './src/cli/secret-command.ts'; process.exitCode = await runSecretCommand(['keygen']);"], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(Buffer.from(out.trim(), 'base64').length, 32);
  });
});
