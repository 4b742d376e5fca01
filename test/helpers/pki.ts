import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real certificates made with the openssl CLI (Debian `openssl`, in scripts/apt-packages.txt): a CA,
 * a server certificate for localhost/127.0.0.1, client certificates (CN and SANs), an intermediate
 * CA with a client certificate of its own, and a client certificate from another CA that
 * mcp-warden must not trust.
 */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Issued by the CA: CN=alice, SAN email:alice@example.com, DNS:alice.clients.example, clientAuth. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Issued by the CA to CN=bob. */
  readonly bobCert: string;
  readonly bobKey: string;
  /** An intermediate CA issued by the CA (not in any ca_file the tests configure). */
  readonly intermediateCert: string;
  /** Issued by the intermediate to CN=carol (clientAuth). */
  readonly carolCert: string;
  readonly carolKey: string;
  /** carol's certificate followed by the intermediate: what a client sends to present its chain. */
  readonly carolChain: string;
  /** CN=mallory, signed with bob's (non-CA) key, followed by bob's certificate: a forged chain. */
  readonly malloryChain: string;
  readonly malloryKey: string;
  /**
   * CN=trent, issued by a sub-CA that the intermediate (pathlen:0) had no right to create, followed
   * by that sub-CA and the intermediate: every link is a CA and every signature holds, but the path
   * length constraint is broken.
   */
  readonly trentChain: string;
  readonly trentKey: string;
  /** CN=alice, but issued by a CA mcp-warden does not trust. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  /** Issues another server certificate (for reload tests); returns [cert, key] paths. */
  issueServer(name: string, cn: string): [string, string];
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 30_000 });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function issue(dir: string, ca: string, name: string, subject: string, ext: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`], dir);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  const serverExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n';
  issue(dir, 'ca', 'server', '/CN=localhost', serverExt);
  const clientExt = (email: string, dns: string) => `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=email:${email},DNS:${dns}\n`;
  issue(dir, 'ca', 'client', '/O=Example/CN=alice', clientExt('alice@example.com', 'alice.clients.example'));
  issue(dir, 'ca', 'bob', '/CN=bob', clientExt('bob@example.com', 'bob.clients.example'));
  issue(dir, 'rogue-ca', 'rogue', '/CN=alice', clientExt('alice@example.com', 'alice.clients.example'));
  issue(dir, 'ca', 'intermediate', '/CN=intermediate', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  issue(dir, 'intermediate', 'carol', '/CN=carol', clientExt('carol@example.com', 'carol.clients.example'));
  issue(dir, 'bob', 'mallory', '/CN=mallory', clientExt('mallory@example.com', 'mallory.clients.example'));
  issue(dir, 'intermediate', 'sub-ca', '/CN=sub-ca', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  issue(dir, 'sub-ca', 'trent', '/CN=trent', clientExt('trent@example.com', 'trent.clients.example'));
  writeFileSync(join(dir, 'trent-chain.crt'), ['trent', 'sub-ca', 'intermediate'].map((n) => readFileSync(join(dir, `${n}.crt`), 'utf8')).join(''));
  writeFileSync(join(dir, 'mallory-chain.crt'), readFileSync(join(dir, 'mallory.crt'), 'utf8') + readFileSync(join(dir, 'bob.crt'), 'utf8'));
  writeFileSync(join(dir, 'carol-chain.crt'), readFileSync(join(dir, 'carol.crt'), 'utf8') + readFileSync(join(dir, 'intermediate.crt'), 'utf8'));
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    bobCert: p('bob.crt'),
    bobKey: p('bob.key'),
    intermediateCert: p('intermediate.crt'),
    carolCert: p('carol.crt'),
    carolKey: p('carol.key'),
    carolChain: p('carol-chain.crt'),
    malloryChain: p('mallory-chain.crt'),
    malloryKey: p('mallory.key'),
    trentChain: p('trent-chain.crt'),
    trentKey: p('trent.key'),
    rogueCert: p('rogue.crt'),
    rogueKey: p('rogue.key'),
    issueServer(name, cn) {
      issue(dir, 'ca', name, `/CN=${cn}`, serverExt);
      return [p(`${name}.crt`), p(`${name}.key`)];
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
