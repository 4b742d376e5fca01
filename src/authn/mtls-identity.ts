import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import type { MtlsConfig } from './auth-config.ts';
import type { FailureReason } from './failure-reason.ts';
import type { Principal } from '../pipeline/principal.ts';

/**
 * The client certificate of a request's socket, detailed (with the intermediates the client sent,
 * so that the chain can be followed), and OpenSSL's refusal of its chain, if any. The listener
 * accepts unverified certificates (mTLS may be combined with other methods), so that refusal is
 * where path length, name constraints and key usage of intermediates are enforced. Both undefined
 * on a plain-TCP socket.
 */
export function peerOf(socket: unknown): { peerCertificate: DetailedPeerCertificate | undefined; peerVerifyError: string | undefined } {
  const tls = socket as Partial<TLSSocket>;
  const peerCertificate = tls.getPeerCertificate?.(true);
  const refused = peerCertificate !== undefined && tls.authorized !== true;
  return { peerCertificate, peerVerifyError: refused ? String(tls.authorizationError ?? 'not verified by TLS') : undefined };
}

export type MtlsOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: FailureReason; readonly detail: string };

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const MAX_CHAIN = 8;

/** Splits a PEM bundle into certificates. */
export function readCaBundle(file: string): X509Certificate[] {
  const pem = readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${file}: no PEM certificate found`);
  return blocks.map((b) => new X509Certificate(b));
}

/**
 * The principal of a client certificate. The TLS listener already asks for and checks the chain,
 * but when mTLS is combined with other methods it must accept connections without a certificate
 * (rejectUnauthorized: false), so the chain, validity dates and key usage are checked again here,
 * and OpenSSL's verdict (peerOf) must agree: a certificate the CA did not issue never names a principal.
 */
export class MtlsIdentity {
  readonly #config: MtlsConfig;
  readonly #cas: readonly X509Certificate[];

  constructor(config: MtlsConfig, baseDir: string) {
    this.#config = config;
    this.#cas = readCaBundle(resolve(baseDir, config.ca_file));
  }

  get caFile(): string {
    return this.#config.ca_file;
  }

  static presented(peer: PeerCertificate | undefined): peer is PeerCertificate {
    return peer !== undefined && peer.raw !== undefined && peer.raw.length > 0;
  }

  /** `tlsError`: OpenSSL's refusal of the chain (peerOf); checked after our own walk, whose message is clearer. */
  verify(peer: PeerCertificate, tlsError: string | undefined, now = Date.now()): MtlsOutcome {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(peer.raw);
    } catch {
      return { ok: false, reason: 'malformed', detail: 'client certificate cannot be parsed' };
    }
    const untrusted = this.#chainProblem(leaf, peer, now);
    if (untrusted !== undefined) return { ok: false, reason: 'untrusted_certificate', detail: untrusted };
    if (tlsError !== undefined) return { ok: false, reason: 'untrusted_certificate', detail: `the TLS layer refused the chain: ${tlsError}` };
    const usage = leaf.keyUsage; // extended key usage OIDs, when the extension is present
    if (Array.isArray(usage) && usage.length > 0 && !usage.includes(CLIENT_AUTH_OID))
      return { ok: false, reason: 'untrusted_certificate', detail: 'certificate is not for client authentication' };
    const id = this.#identity(leaf);
    if (id === undefined) return { ok: false, reason: 'no_identity', detail: `certificate has no ${this.#config.principal_from}` };
    const roles = this.#config.principals[id]?.roles ?? this.#config.default_roles;
    return {
      ok: true,
      principal: {
        id,
        issuer: leaf.issuer.replace(/\n/g, ', '),
        auth: 'mtls',
        roles,
        scopes: [],
        claims: { subject: leaf.subject.replace(/\n/g, ', '), serial: leaf.serialNumber, fingerprint256: leaf.fingerprint256 },
        expiresAt: Math.floor(Date.parse(leaf.validTo) / 1000),
      },
    };
  }

  /**
   * Why the certificate does not chain to a CA in ca_file, or undefined when it does. The chain is
   * the leaf, then the intermediates the client sent (TLS lets a client send its chain; the
   * listener hands them over in the detailed peer certificate), up to a CA in ca_file. Every link
   * must be a CA certificate whose key signed the one below, within its validity dates.
   */
  #chainProblem(leaf: X509Certificate, peer: PeerCertificate, now: number): string | undefined {
    let current = leaf;
    let next: DetailedPeerCertificate | undefined = (peer as Partial<DetailedPeerCertificate>).issuerCertificate;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      const what = depth === 0 ? 'client certificate' : `intermediate ${commonName(current)}`;
      if (!withinValidity(current, now)) return `${what} is outside its validity dates`;
      for (const ca of this.#cas) {
        if (withinValidity(ca, now) && current.checkIssued(ca) && current.verify(ca.publicKey)) return undefined;
      }
      // Node ends a chain with the certificate itself (self-signed) or with no issuer at all.
      const sent = next === undefined || next.raw === undefined || next.raw.length === 0 || next === next.issuerCertificate ? undefined : new X509Certificate(next.raw);
      if (sent === undefined || !current.checkIssued(sent))
        return `${what} is issued by ${commonName(current, 'issuer')}, which is not a CA in auth.mtls.ca_file, and the client did not send that issuer's certificate (send the full chain, or add the intermediate to ca_file)`;
      if (!sent.ca) return `${what} is issued by ${commonName(sent)}, which is not a CA certificate`;
      if (!current.verify(sent.publicKey)) return `${what} was not signed by the key of ${commonName(sent)}`;
      current = sent;
      next = next!.issuerCertificate;
    }
    return `chain longer than ${MAX_CHAIN} certificates`;
  }

  #identity(cert: X509Certificate): string | undefined {
    if (this.#config.principal_from === 'subject_cn') {
      const cn = cert.subject.split('\n').find((line) => line.startsWith('CN='));
      return cn === undefined || cn.length <= 3 ? undefined : cn.slice(3);
    }
    const prefix = { san_dns: 'DNS:', san_email: 'email:', san_uri: 'URI:' }[this.#config.principal_from];
    const entry = (cert.subjectAltName ?? '').split(/,\s*/).find((part) => part.startsWith(prefix));
    return entry === undefined || entry.length <= prefix.length ? undefined : entry.slice(prefix.length);
  }
}

function commonName(cert: X509Certificate, field: 'subject' | 'issuer' = 'subject'): string {
  const cn = cert[field].split('\n').find((line) => line.startsWith('CN='));
  return cn === undefined ? `"${cert[field].replace(/\n/g, ', ')}"` : `"${cn.slice(3)}"`;
}

function withinValidity(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}
