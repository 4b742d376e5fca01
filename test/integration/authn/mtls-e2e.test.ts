import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { makePki, type Pki } from '../../helpers/pki.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * TLS termination and mTLS through mcp-warden: real openssl certificates (CA, server, clients), an
 * HTTPS client, server-everything behind the proxy.
 */
describe('mTLS end to end', () => {
  let pki: Pki;
  let upstream: RunningPeer;
  let warden: TestWarden;

  before(async () => {
    pki = makePki();
    upstream = await startEverything('streamableHttp');
    warden = await startTestWarden({
      listen: { host: '127.0.0.1', port: 0, tls: { mode: 'files', cert_file: pki.serverCert, key_file: pki.serverKey } },
      upstreams: [{ name: 'everything', url: upstream.url, path: '/mcp' }],
      policy: { bundle: join(process.cwd(), 'policies'), data: { tools: { echo: 'read' } } },
      auth: { mode: 'mtls', mtls: { ca_file: pki.caCert, principals: { alice: { roles: ['operator'] } } } },
    });
    assert.match(warden.origin, /^https:/);
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
    pki?.cleanup();
  });

  function initialize(client?: [string, string], minVersion?: 'TLSv1.2' | 'TLSv1.3'): Promise<{ status: number; body: string }> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    return new Promise((resolve, reject) => {
      const req = request(
        warden.url('/mcp'),
        {
          method: 'POST',
          ca: readFileSync(pki.caCert),
          servername: 'localhost',
          headers: { host: `localhost:${warden.address.port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
          ...(client === undefined ? {} : { cert: readFileSync(client[0]), key: readFileSync(client[1]) }),
          ...(minVersion === undefined ? {} : { minVersion }),
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.once('error', reject);
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.end(body);
    });
  }

  it('a client certificate from the CA opens a session over TLS', async () => {
    const res = await initialize([pki.clientCert, pki.clientKey]);
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /serverInfo/);
  });

  it('no certificate, or one from another CA: 401', async () => {
    assert.equal((await initialize()).status, 401);
    assert.equal((await initialize([pki.rogueCert, pki.rogueKey])).status, 401);
  });
});
