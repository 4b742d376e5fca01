import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { rotateSelfSigned } from '../../../src/tls/self-signed.ts';
import { tlsConfigSchema } from '../../../src/tls/tls-config.ts';
import { createTlsListener, type ManagedTlsListener } from '../../../src/tls/tls-listener.ts';
import { makePki, type Pki } from '../../helpers/pki.ts';

const silent = pino({ level: 'silent' });

async function serve(listener: ManagedTlsListener): Promise<{ server: Server; port: number; peers: PeerCertificate[] }> {
  const peers: PeerCertificate[] = [];
  const server = createServer(listener.options, (req, res) => {
    peers.push((req.socket as TLSSocket).getPeerCertificate());
    res.end('ok');
  });
  listener.onChange((o) => server.setSecureContext(o));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, peers };
}

/** One TLS handshake; resolves with the server certificate's fingerprint, or rejects. */
function handshake(port: number, options: Record<string, unknown>): Promise<{ fingerprint: string; protocol: string | null; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', timeout: 5_000, ...options }, () => {
      resolve({ fingerprint: socket.getPeerCertificate().fingerprint256, protocol: socket.getProtocol(), socket });
    });
    socket.once('error', reject);
    socket.once('timeout', () => reject(new Error('timeout')));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

describe('listen.tls: self-signed', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key and certificate (0600) on first start, reuses them on restart, and serves them', async () => {
    const config = tlsConfigSchema.parse({ mode: 'self-signed', dir: 'tls', hostnames: ['localhost', 'warden.internal'], ips: ['127.0.0.1'] });
    const first = (await createTlsListener(config, dir, silent))!;
    first.close();
    const certPem = readFileSync(join(dir, 'tls/server.crt'), 'utf8');
    assert.equal(statSync(join(dir, 'tls/server.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'tls/server.crt')).mode & 0o777, 0o600);
    const cert = new X509Certificate(certPem);
    assert.match(cert.subjectAltName!, /DNS:localhost/);
    assert.match(cert.subjectAltName!, /DNS:warden\.internal/);
    assert.match(cert.subjectAltName!, /IP Address:127\.0\.0\.1/);

    const second = (await createTlsListener(config, dir, silent))!;
    assert.equal(readFileSync(join(dir, 'tls/server.crt'), 'utf8'), certPem, 'reused on restart');
    const { server, port } = await serve(second);
    try {
      // A client that trusts exactly this certificate verifies the chain and the host name.
      const { fingerprint, protocol, socket } = await handshake(port, { ca: certPem });
      socket.destroy();
      assert.equal(fingerprint, cert.fingerprint256);
      assert.match(protocol ?? '', /TLSv1\.[23]/);
      // TLS 1.1 is refused.
      await assert.rejects(handshake(port, { ca: certPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
      // `certs rotate` replaces the pair; the running listener serves the new one without a restart.
      const rotated = await rotateSelfSigned({ dir: join(dir, 'tls'), hostnames: ['localhost'], ips: ['127.0.0.1'], validDays: 30 });
      assert.notEqual(rotated.fingerprint256, cert.fingerprint256);
      let seen = '';
      const newPem = readFileSync(rotated.certFile, 'utf8');
      for (let i = 0; i < 60 && seen !== rotated.fingerprint256; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const h = await handshake(port, { ca: newPem }).catch(() => undefined);
        h?.socket.destroy();
        seen = h?.fingerprint ?? '';
      }
      assert.equal(seen, rotated.fingerprint256);
    } finally {
      second.close();
      await close(server);
    }
  });

  it('refuses to reuse a key file that others can read', async () => {
    const config = tlsConfigSchema.parse({ mode: 'self-signed', dir: 'tls2' });
    (await createTlsListener(config, dir, silent))!.close();
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'tls2/server.key'), 0o644);
    await assert.rejects(createTlsListener(config, dir, silent), /readable by group or others/);
  });
});

describe('listen.tls: files, and mTLS with real openssl certificates', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('reloads certificate and key on change without dropping a live connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tlsf-'));
    copyFileSync(pki.serverCert, join(dir, 'tls.crt'));
    copyFileSync(pki.serverKey, join(dir, 'tls.key'));
    const listener = (await createTlsListener(tlsConfigSchema.parse({ mode: 'files', cert_file: 'tls.crt', key_file: 'tls.key', reload_interval_ms: 100 }), dir, silent))!;
    const { server, port } = await serve(listener);
    const ca = readFileSync(pki.caCert);
    try {
      const live = await handshake(port, { ca });
      const original = live.fingerprint;
      const [newCert, newKey] = pki.issueServer('server2', 'localhost');
      // Key and certificate are replaced one after the other (a mismatched moment in between).
      writeFileSync(join(dir, 'tls.key.tmp'), readFileSync(newKey));
      renameSync(join(dir, 'tls.key.tmp'), join(dir, 'tls.key'));
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(dir, 'tls.crt.tmp'), readFileSync(newCert));
      renameSync(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
      const expected = new X509Certificate(readFileSync(newCert)).fingerprint256;
      let seen = original;
      for (let i = 0; i < 50 && seen !== expected; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const h = await handshake(port, { ca });
        h.socket.destroy();
        seen = h.fingerprint;
      }
      assert.equal(seen, expected, 'new handshakes get the new certificate');
      assert.equal(live.socket.destroyed, false, 'the connection opened before the reload is still up');
      assert.ok(live.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      const reply = await new Promise<string>((r) => live.socket.once('data', (d: Buffer) => r(d.toString())));
      assert.match(reply, /^HTTP\/1\.1 200/);
      live.socket.destroy();
    } finally {
      listener.close();
      await close(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key that does not match its certificate at start-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tlsm-'));
    try {
      await assert.rejects(createTlsListener(tlsConfigSchema.parse({ mode: 'files', cert_file: pki.serverCert, key_file: pki.clientKey }), dir, silent));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with a client CA, asks for a client certificate and hands it to the application (chain checked by authn/)', async () => {
    const listener = (await createTlsListener(tlsConfigSchema.parse({ mode: 'files', cert_file: pki.serverCert, key_file: pki.serverKey }), '/', silent, pki.caCert))!;
    const { server, port, peers } = await serve(listener);
    const ca = readFileSync(pki.caCert);
    try {
      for (const [cert, key] of [[pki.clientCert, pki.clientKey], [undefined, undefined]] as const) {
        const h = await handshake(port, { ca, ...(cert === undefined ? {} : { cert: readFileSync(cert), key: readFileSync(key!) }) });
        h.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        h.socket.resume(); // read the reply so that the server's close is seen
        await new Promise((r) => h.socket.once('close', r));
      }
      assert.equal(peers.length, 2);
      assert.equal(peers[0]!.subject.CN, 'alice');
      assert.equal(peers[1]!.raw, undefined, 'no certificate: the handshake still succeeds and authn/ decides');
    } finally {
      listener.close();
      await close(server);
    }
  });
});
