import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
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
  let dir: string;

  before(async () => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'warden-mtls-e2e-'));
    upstream = await startEverything('streamableHttp');
    warden = await startTestWarden({
      listen: { host: '127.0.0.1', port: 0, tls: { mode: 'files', cert_file: pki.serverCert, key_file: pki.serverKey } },
      upstreams: [{ name: 'everything', url: upstream.url, path: '/mcp' }],
      policy: { bundle: join(process.cwd(), 'policies'), data: { tools: { echo: 'read' } } },
      auth: { mode: 'mtls', mtls: { ca_file: pki.caCert, principals: { alice: { roles: ['operator'] }, carol: { roles: ['operator'] } } } },
      audit: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }], spool: { dir: join(dir, 'spool') } },
    });
    assert.match(warden.origin, /^https:/);
  });
  after(async () => {
    await warden?.close();
    await upstream?.close();
    pki?.cleanup();
    rmSync(dir, { recursive: true, force: true });
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

  it('a client certificate issued by an intermediate: accepted when the client sends the chain (only the root in ca_file)', async () => {
    const res = await initialize([pki.carolChain, pki.carolKey]);
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /serverInfo/);
  });

  it('the same certificate without its intermediate: 401, a log line that names the missing issuer, an audit event', async () => {
    const res = await initialize([pki.carolCert, pki.carolKey]);
    assert.equal(res.status, 401);
    assert.match(res.body, /WARDEN_ERR_AUTHN_REQUIRED/);
    const line = warden.logs().find((l) => l.msg === 'authentication refused' && /"intermediate"/.test(String(l.detail)));
    assert.ok(line, 'no log line names the missing intermediate');
    assert.match(String(line.detail), /not a CA in auth\.mtls\.ca_file, and the client did not send/);
    await warden.close();
    const events = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const refusals = events.filter((e) => JSON.stringify(e).includes('untrusted_certificate'));
    // The rogue CA's certificate of the test before, and carol's leaf without its intermediate.
    assert.equal(refusals.length, 2, JSON.stringify(events.map((e) => e.message)));
  });
});
