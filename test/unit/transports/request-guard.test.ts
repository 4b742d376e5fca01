import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestGuard } from '../../../src/transports/request-guard.ts';

describe('RequestGuard (DNS rebinding protection)', () => {
  const guard = new RequestGuard({ listenHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [] });

  it('accepts loopback hosts with or without a port', () => {
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:1', '[::1]:8080']) assert.equal(guard.check({ host }), undefined, host);
  });

  it('refuses other hosts, including ones that merely start with an allowed name', () => {
    for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io:80', 'evil.example:8080']) assert.equal(guard.check({ host })?.code, 'WARDEN_ERR_HTTP_HOST', host);
    assert.equal(guard.check({})?.code, 'WARDEN_ERR_HTTP_HOST');
  });

  it('accepts same-host origins and refuses others when no list is configured', () => {
    assert.equal(guard.check({ host: 'localhost:8080', origin: 'http://localhost:3000' }), undefined);
    assert.equal(guard.check({ host: 'localhost:8080', origin: 'http://evil.example' })?.code, 'WARDEN_ERR_HTTP_ORIGIN');
    assert.equal(guard.check({ host: 'localhost:8080', origin: 'null' })?.code, 'WARDEN_ERR_HTTP_ORIGIN');
  });

  it('uses the configured lists when given', () => {
    const g = new RequestGuard({ listenHost: '0.0.0.0', allowedHosts: ['mcp.internal'], allowedOrigins: ['https://app.internal'] });
    assert.equal(g.check({ host: 'mcp.internal:443', origin: 'https://app.internal' }), undefined);
    assert.equal(g.check({ host: 'localhost' })?.code, 'WARDEN_ERR_HTTP_HOST');
    assert.equal(g.check({ host: 'mcp.internal', origin: 'https://other.internal' })?.code, 'WARDEN_ERR_HTTP_ORIGIN');
  });
});
