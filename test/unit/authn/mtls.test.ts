import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { authConfigSchema } from '../../../src/authn/auth-config.ts';
import { createAuthn, type Authn } from '../../../src/authn/create-authn.ts';
import { peerOf } from '../../../src/authn/mtls-identity.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { SecurityEvent } from '../../../src/pipeline/audit-port.ts';
import type { AuthRequest } from '../../../src/pipeline/authenticator.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { makePki, type Pki } from '../../helpers/pki.ts';

/**
 * mTLS with real openssl certificates and a real TLS handshake: the peer certificate the
 * authenticator sees is the one node:tls produced for the connection.
 */
describe('mTLS authentication', () => {
  let pki: Pki;
  let authn: Authn;
  const events: SecurityEvent[] = [];
  const peers = new Map<string, ReturnType<typeof peerOf>>();

  before(async () => {
    pki = makePki();
    const config = configSchema.parse({
      listen: { host: '127.0.0.1', port: 0, tls: { mode: 'files', cert_file: pki.serverCert, key_file: pki.serverKey } },
      upstreams: [{ name: 'everything', url: 'http://127.0.0.1:3001/mcp', path: '/mcp' }],
      policy: { bundle: 'policies/' },
    });
    authn = await createAuthn({
      config: authConfigSchema.parse({ mode: ['mtls', 'anonymous'], mtls: { ca_file: pki.caCert, default_roles: ['viewer'], principals: { alice: { roles: ['operator'] } } }, anonymous: { roles: ['guest'] } }),
      listen: config.listen,
      upstreams: config.upstreams,
      state: new MemoryStateStore(),
      audit: { record: (e) => void events.push(e) },
      logger: pino({ level: 'silent' }),
      baseDir: '/',
    });
    assert.ok(authn.tls);
    assert.equal(authn.tls.options.requestCert, true);
    const server = createServer(authn.tls.options, (req, res) => {
      // As the MCP listener takes it: detailed (with the intermediates the client sent) and with OpenSSL's verdict.
      peers.set(String(req.headers['x-who']), peerOf(req.socket));
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const ca = readFileSync(pki.caCert);
    const clients: [string, string | undefined, string | undefined][] = [
      ['alice', pki.clientCert, pki.clientKey],
      ['bob', pki.bobCert, pki.bobKey],
      ['rogue', pki.rogueCert, pki.rogueKey],
      ['carol-chain', pki.carolChain, pki.carolKey],
      ['carol-leaf-only', pki.carolCert, pki.carolKey],
      ['mallory-forged-chain', pki.malloryChain, pki.malloryKey],
      ['trent-beyond-pathlen', pki.trentChain, pki.trentKey],
      ['none', undefined, undefined],
    ];
    for (const [who, cert, key] of clients) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca, timeout: 5_000, ...(cert === undefined ? {} : { cert: readFileSync(cert), key: readFileSync(key!) }) }, () => {
          socket.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Who: ${who}\r\nConnection: close\r\n\r\n`);
          socket.resume();
        });
        socket.once('close', () => resolve());
        socket.once('error', reject);
      });
    }
    await new Promise<void>((r) => server.close(() => r()));
  });
  after(async () => {
    await authn.close();
    pki.cleanup();
  });

  const req = (who: string): AuthRequest => ({ headers: { host: 'localhost' }, url: '/mcp', clientIp: '10.2.0.1', upstream: 'everything', ...peers.get(who)! });

  it('names the principal from the subject CN, with per-principal roles and the certificate expiry', async () => {
    const alice = await authn.authenticator.authenticate(req('alice'));
    assert.ok(alice.ok);
    assert.equal(alice.principal.id, 'alice');
    assert.equal(alice.principal.auth, 'mtls');
    assert.deepEqual(alice.principal.roles, ['operator']);
    assert.ok(alice.principal.expiresAt! > Date.now() / 1000);
    const bob = await authn.authenticator.authenticate(req('bob'));
    assert.ok(bob.ok);
    assert.deepEqual(bob.principal.roles, ['viewer']);
  });

  it('refuses a certificate from another CA (even with the same CN), audited; never falls through to anonymous', async () => {
    const rogue = await authn.authenticator.authenticate(req('rogue'));
    assert.equal(rogue.ok, false);
    if (!rogue.ok) assert.equal(rogue.error.httpStatus, 401);
    assert.equal(events.at(-1)!.details?.reason, 'untrusted_certificate');
    assert.equal(events.at(-1)!.details?.method, 'mtls');
  });

  it('a client that sends its chain (leaf + intermediate, only the root in ca_file) is accepted', async () => {
    const carol = await authn.authenticator.authenticate(req('carol-chain'));
    assert.ok(carol.ok, carol.ok ? '' : carol.error.detail);
    assert.equal(carol.principal.id, 'carol');
    assert.match(carol.principal.issuer ?? '', /CN=intermediate/);
  });

  it('the same leaf without its intermediate is refused with a reason that names the missing issuer, audited', async () => {
    const before = events.length;
    const carol = await authn.authenticator.authenticate(req('carol-leaf-only'));
    assert.equal(carol.ok, false);
    if (carol.ok) return;
    assert.equal(carol.error.httpStatus, 401);
    assert.match(carol.error.detail ?? '', /issued by "intermediate", which is not a CA in auth\.mtls\.ca_file, and the client did not send/);
    assert.equal(events.length, before + 1);
    assert.equal(events.at(-1)!.type, 'authn.failure');
    assert.deepEqual([events.at(-1)!.details?.method, events.at(-1)!.details?.reason], ['mtls', 'untrusted_certificate']);
  });

  it('a forged chain (leaf signed with another client\'s non-CA key, that certificate sent as the intermediate) is refused', async () => {
    const mallory = await authn.authenticator.authenticate(req('mallory-forged-chain'));
    assert.equal(mallory.ok, false);
    if (!mallory.ok) assert.equal(mallory.error.httpStatus, 401);
    assert.deepEqual([events.at(-1)!.details?.method, events.at(-1)!.details?.reason], ['mtls', 'untrusted_certificate']);
  });

  it('a chain that breaks a path length constraint (a sub-CA under a pathlen:0 intermediate) is refused: OpenSSL\'s verdict counts', async () => {
    const trent = await authn.authenticator.authenticate(req('trent-beyond-pathlen'));
    assert.equal(trent.ok, false);
    if (!trent.ok) {
      assert.equal(trent.error.httpStatus, 401);
      assert.match(trent.error.detail ?? '', /the TLS layer refused the chain: PATH_LENGTH_EXCEEDED/);
    }
    assert.deepEqual([events.at(-1)!.details?.method, events.at(-1)!.details?.reason], ['mtls', 'untrusted_certificate']);
  });

  it('no certificate: the explicitly configured anonymous principal with its own role', async () => {
    const anonymous = await authn.authenticator.authenticate(req('none'));
    assert.ok(anonymous.ok);
    assert.equal(anonymous.principal.auth, 'anonymous');
    assert.deepEqual(anonymous.principal.roles, ['guest']);
  });

  it('principal from a SAN (email, DNS)', async () => {
    for (const [from, expected] of [['san_email', 'alice@example.com'], ['san_dns', 'alice.clients.example']] as const) {
      const other = await createAuthn({
        config: authConfigSchema.parse({ mode: 'mtls', mtls: { ca_file: pki.caCert, principal_from: from } }),
        listen: configSchema.shape.listen.parse({ tls: { mode: 'files', cert_file: pki.serverCert, key_file: pki.serverKey } }),
        upstreams: [],
        state: new MemoryStateStore(),
        audit: { record: () => {} },
        logger: pino({ level: 'silent' }),
        baseDir: '/',
      });
      try {
        const r = await other.authenticator.authenticate(req('alice'));
        assert.ok(r.ok);
        assert.equal(r.principal.id, expected);
      } finally {
        await other.close();
      }
    }
  });

  it('mtls with listen.tls.mode off is a configuration error', async () => {
    await assert.rejects(
      createAuthn({
        config: authConfigSchema.parse({ mode: 'mtls', mtls: { ca_file: pki.caCert } }),
        listen: configSchema.shape.listen.parse({}),
        upstreams: [],
        state: new MemoryStateStore(),
        audit: { record: () => {} },
        logger: pino({ level: 'silent' }),
        baseDir: '/',
      }),
      /listen\.tls\.mode is 'off'/,
    );
  });
});
