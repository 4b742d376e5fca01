import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly publicPem: string;
}

export async function makeSigningKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

/**
 * A real JWKS endpoint over HTTP on 127.0.0.1 (an identity provider's key set, as mcp-warden
 * fetches it), with a counter of fetches so that tests can observe caching and the cool-down.
 * `published` is what the endpoint serves; a test adds a key to simulate rotation at the IdP.
 */
export async function startJwksServer(
  keys: SigningKey[],
  /** Extra routes on the same origin (e.g. an authorization server); true when handled. */
  routes?: (req: IncomingMessage, res: ServerResponse, origin: string) => boolean | Promise<boolean>,
): Promise<{
  url: string;
  issuer: string;
  fetches(): number;
  published: SigningKey[];
  close(): Promise<void>;
}> {
  const published = [...keys];
  let fetches = 0;
  let origin = '';
  const server = createServer(async (req, res) => {
    if (routes !== undefined && (await routes(req, res, origin))) return;
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    const body = JSON.stringify({ keys: published.map((k) => k.publicJwk) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    issuer: `http://127.0.0.1:${port}`,
    fetches: () => fetches,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface MintOptions {
  issuer: string;
  audience: string | string[];
  subject?: string;
  /** Seconds from now (negative: already expired). Default 300. */
  expiresIn?: number;
  /** Seconds from now for nbf. */
  notBefore?: number;
  claims?: JWTPayload;
  kid?: string;
}

/** A correctly signed access token. */
export async function mint(key: SigningKey, o: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(o.claims ?? {}) })
    .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject ?? 'alice')
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 300));
  if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
  return jwt.sign(key.privateKey);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** `alg: none` with an empty signature (RFC 7519 unsecured JWT). */
export function unsecuredToken(payload: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** The classic key-confusion attack: HS256 with the RSA public key (PEM text) as the HMAC secret. */
export async function hs256WithPublicKey(key: SigningKey, payload: JWTPayload): Promise<string> {
  const { createHmac } = await import('node:crypto');
  const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(payload)}`;
  const sig = createHmac('sha256', key.publicPem).update(head).digest('base64url');
  return `${head}.${sig}`;
}

/** A valid token whose payload was changed after signing (e.g. roles elevated). */
export function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  change(payload);
  return `${h}.${b64(payload)}.${s}`;
}
