import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ApiKeyStore } from '../../../src/authn/api-key-store.ts';
import { apiKeyConfigSchema } from '../../../src/authn/auth-config.ts';

const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { runApikeyCommand } from './src/cli/apikey-command.ts'; process.exitCode = await runApikeyCommand(process.argv.slice(1));", ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('mcp-warden apikey', () => {
  it('create prints the key once and stores only its hash; revoke makes the store refuse it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-apikey-'));
    const file = join(dir, 'keys.yaml');
    try {
      const created = run(['create', '--name', 'ci-bot', '--roles', 'operator,viewer', '--file', file]);
      assert.equal(created.status, 0, created.stderr);
      const key = created.stdout.trim();
      assert.match(key, /^mcpw_[A-Za-z0-9_-]{43}$/);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(key), 'the key itself must not be stored');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const store = new ApiKeyStore(apiKeyConfigSchema.parse({ file }), dir, pino({ level: 'silent' }));
      const ok = store.verify(key);
      assert.ok(ok.ok);
      assert.deepEqual(ok.principal.roles, ['operator', 'viewer']);
      store.close();

      assert.equal(run(['create', '--name', 'ci-bot', '--file', file]).status, 2, 'a second active key with the same name is refused');
      const revoked = run(['revoke', '--name', 'ci-bot', '--file', file]);
      assert.equal(revoked.status, 0, revoked.stderr);
      const after = new ApiKeyStore(apiKeyConfigSchema.parse({ file }), dir, pino({ level: 'silent' }));
      const refused = after.verify(key);
      assert.equal(refused.ok, false);
      if (!refused.ok) assert.equal(refused.reason, 'revoked');
      after.close();
      assert.match(run(['list', '--file', file]).stdout, /ci-bot\trevoked/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without --file prints the config snippet; a bad name is exit 2', () => {
    const created = run(['create', '--name', 'alice', '--roles', 'viewer']);
    assert.equal(created.status, 0);
    assert.match(created.stderr, /hash: sha256:[0-9a-f]{64}/);
    assert.equal(run(['create', '--name', 'bad name!']).status, 2);
  });
});
