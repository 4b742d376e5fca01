import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/config/load-config.ts';

const minimal = `
upstreams:
  - name: everything
    url: http://127.0.0.1:3001/mcp
    path: /mcp
policy:
  bundle: policies/
`;

describe('config loading', () => {
  it('applies the safe documented defaults', () => {
    const c = parseConfig(minimal, 'c.yaml');
    assert.equal(c.listen.host, '127.0.0.1');
    assert.equal(c.auth.mode, 'none');
    assert.equal(c.redaction.enabled, true);
    assert.equal(c.upstreams[0]!.transport, 'streamable-http');
    assert.equal(c.admin.host, '127.0.0.1');
  });

  it('substitutes ${env:NAME}', () => {
    process.env.WARDEN_TEST_URL = 'http://127.0.0.1:9/mcp';
    const c = parseConfig(minimal.replace('http://127.0.0.1:3001/mcp', '${env:WARDEN_TEST_URL}'), 'c.yaml');
    assert.equal(c.upstreams[0]!.url, 'http://127.0.0.1:9/mcp');
  });

  it('refuses a reference to an unset variable, naming it and the key', () => {
    delete process.env.WARDEN_TEST_UNSET;
    assert.throws(() => parseConfig(minimal.replace('http://127.0.0.1:3001/mcp', '${env:WARDEN_TEST_UNSET}'), 'c.yaml'), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /upstreams\[0\]\.url: \$\{env:WARDEN_TEST_UNSET\} is not set/);
      return true;
    });
  });

  it('names every bad key, including unknown ones (a typo is never silently ignored)', () => {
    const bad = `${minimal}listen: {port: 99999, hots: x}\n`;
    assert.throws(() => parseConfig(bad, 'c.yaml'), (err: Error) => {
      assert.match(err.message, /listen\.port:/);
      assert.match(err.message, /listen: unknown key\(s\) 'hots'/);
      return true;
    });
  });

  it('refuses duplicate YAML keys and duplicate upstream paths', () => {
    assert.throws(() => parseConfig(`${minimal}policy:\n  bundle: x\n`, 'c.yaml'), /cannot parse/);
    const twice = minimal.replace('    path: /mcp', '    path: /mcp\n  - name: other\n    url: http://127.0.0.1:3002/mcp\n    path: /mcp');
    assert.throws(() => parseConfig(twice, 'c.yaml'), /upstreams\[1\]\.path: \/mcp is also served for upstreams\[0\]/);
  });

  it("refuses a path that another upstream's legacy SSE message endpoint already serves", () => {
    // `/sse` (transport sse) also serves `/sse/message`; a second upstream there would be unreachable.
    const both = `upstreams:
  - name: legacy
    url: http://127.0.0.1:3001/sse
    transport: sse
    path: /sse
  - name: other
    url: http://127.0.0.1:3002/mcp
    path: /sse/message
policy: {bundle: p}
`;
    assert.throws(() => parseConfig(both, 'c.yaml'), /upstreams\[1\]\.path: \/sse\/message is also served for upstreams\[0\]/);
  });

  it("refuses an upstream on mcp-warden's own paths (health, metrics, RFC 9728 metadata)", () => {
    for (const path of ['/metrics', '/healthz', '/readyz', '/.well-known/oauth-protected-resource', '/.well-known/x']) {
      assert.throws(() => parseConfig(minimal.replace('    path: /mcp', `    path: ${path}`), 'c.yaml'), /upstreams\[0\]\.path: .*(mcp-warden's own|reserved)/, path);
    }
    // A legacy SSE stream at /.well-known would also serve /.well-known/message.
    const legacy = minimal.replace('http://127.0.0.1:3001/mcp', 'http://127.0.0.1:3001/sse').replace('    path: /mcp', '    path: /.well-known\n    transport: sse');
    assert.throws(() => parseConfig(legacy, 'c.yaml'), /reserved for the protected resource metadata/);
  });

  it('refuses a transport that does not match the URL scheme', () => {
    assert.throws(() => parseConfig(minimal.replace('http://127.0.0.1:3001/mcp', 'ws://127.0.0.1:3001/mcp'), 'c.yaml'), /transport streamable-http needs a http/);
  });

  it('reads JSON too', () => {
    const c = parseConfig(JSON.stringify({ upstreams: [{ name: 'a', url: 'ws://127.0.0.1:1/ws', transport: 'websocket', path: '/ws' }], policy: { bundle: 'p' } }), 'c.json');
    assert.equal(c.upstreams[0]!.transport, 'websocket');
  });
});

describe('config: integers from the environment', () => {
  it('accepts ${env:PORT} for a port, and refuses a non-number', () => {
    process.env.WARDEN_TEST_PORT = '8181';
    const c = parseConfig(`${minimal}listen: {port: "\${env:WARDEN_TEST_PORT}"}\n`, 'c.yaml');
    assert.equal(c.listen.port, 8181);
    process.env.WARDEN_TEST_PORT = '80x';
    assert.throws(() => parseConfig(`${minimal}listen: {port: "\${env:WARDEN_TEST_PORT}"}\n`, 'c.yaml'), /listen\.port:/);
    process.env.WARDEN_TEST_PORT = '';
    assert.throws(() => parseConfig(`${minimal}listen: {port: "\${env:WARDEN_TEST_PORT}"}\n`, 'c.yaml'), /listen\.port:/);
  });
});
