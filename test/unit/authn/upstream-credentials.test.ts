import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { upstreamCredentialSchema } from '../../../src/authn/upstream-credential-config.ts';
import { FileAndEnvUpstreamCredentials } from '../../../src/authn/upstream-credentials.ts';
import { configSchema } from '../../../src/config/schema.ts';

const silent = pino({ level: 'silent' });

describe('upstream credentials (the proxy’s own, never the client’s)', () => {
  it('static value with a scheme, env var read per request, none for other upstreams', () => {
    process.env.WARDEN_TEST_UPSTREAM_TOKEN = 'env-token-1';
    const creds = new FileAndEnvUpstreamCredentials(
      [
        { name: 'a', auth: upstreamCredentialSchema.parse({ header: 'X-Upstream-Key', value: 'static-secret' }) },
        { name: 'b', auth: upstreamCredentialSchema.parse({ scheme: 'Bearer', value_env: 'WARDEN_TEST_UPSTREAM_TOKEN' }) },
        { name: 'c' },
      ],
      process.cwd(),
      silent,
    );
    try {
      assert.deepEqual(creds.headersFor('a'), { 'x-upstream-key': 'static-secret' });
      assert.deepEqual(creds.headersFor('b'), { authorization: 'Bearer env-token-1' });
      process.env.WARDEN_TEST_UPSTREAM_TOKEN = 'env-token-2';
      assert.deepEqual(creds.headersFor('b'), { authorization: 'Bearer env-token-2' });
      assert.deepEqual(creds.headersFor('c'), {});
    } finally {
      creds.close();
      delete process.env.WARDEN_TEST_UPSTREAM_TOKEN;
    }
  });

  it('a token file is re-read when it changes (atomic replace, like a Kubernetes secret)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-upcred-'));
    writeFileSync(join(dir, 'token'), 'first-token\n');
    const creds = new FileAndEnvUpstreamCredentials([{ name: 'a', auth: upstreamCredentialSchema.parse({ scheme: 'Bearer', value_file: 'token' }) }], dir, silent);
    try {
      assert.deepEqual(creds.headersFor('a'), { authorization: 'Bearer first-token' });
      writeFileSync(join(dir, 'token.new'), 'second-token\n');
      renameSync(join(dir, 'token.new'), join(dir, 'token'));
      let seen = '';
      for (let i = 0; i < 50 && seen !== 'Bearer second-token'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = creds.headersFor('a').authorization ?? '';
      }
      assert.equal(seen, 'Bearer second-token');
    } finally {
      creds.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses at start-up: a missing file, an unset variable; the schema refuses protocol headers and two sources', () => {
    assert.throws(() => new FileAndEnvUpstreamCredentials([{ name: 'a', auth: upstreamCredentialSchema.parse({ value_file: '/nonexistent/token' }) }], '/', silent));
    assert.throws(() => new FileAndEnvUpstreamCredentials([{ name: 'a', auth: upstreamCredentialSchema.parse({ value_env: 'WARDEN_TEST_SURELY_UNSET' }) }], '/', silent), /not set/);
    for (const bad of [{ header: 'Mcp-Session-Id', value: 'x' }, { header: 'Host', value: 'x' }, { value: 'x', value_env: 'Y' }, {}, { value: 'a\r\nX-Injected: 1' }])
      assert.equal(upstreamCredentialSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });

  it('upstreams[].auth is part of the config contract', () => {
    const config = configSchema.parse({
      upstreams: [{ name: 'gh', url: 'http://127.0.0.1:1/mcp', path: '/mcp', auth: { scheme: 'Bearer', value_file: '/run/secrets/gh' } }],
      policy: { bundle: 'policies/' },
    });
    assert.equal(config.upstreams[0]!.auth?.value_file, '/run/secrets/gh');
    assert.equal(config.upstreams[0]!.auth?.header, 'authorization');
  });
});
