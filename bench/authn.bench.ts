/**
 * Identity at the edge: what authentication and TLS termination cost per request.
 *
 * 1. `authenticate()` per request, in-process (what the transports call before reading a body):
 *    mode none (baseline), JWT RS256 and ES256 with the JWKS fetched once over HTTP and cached,
 *    with the verified-token cache off (a signature check per request) and on (the same token
 *    again: a SHA-256 and a map lookup), an API key (SHA-256 + map lookup).
 * 2. TLS termination: the same trivial node:http handler behind plain HTTP and behind the TLS
 *    listener mcp-warden builds (self-signed ECDSA P-256, TLS 1.2+, modern ciphers): serial
 *    keep-alive request latency, and a new connection (handshake) per request.
 *
 * Figures only; nothing here gates CI. Run: `npm run bench -- authn` (or `node --import tsx bench/authn.bench.ts`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Client } from 'undici';
import { generateApiKey, hashApiKey } from '../src/authn/api-key-format.ts';
import { authConfigSchema } from '../src/authn/auth-config.ts';
import { createAuthn } from '../src/authn/create-authn.ts';
import { configSchema } from '../src/config/schema.ts';
import type { AuthRequest } from '../src/pipeline/authenticator.ts';
import { MemoryStateStore } from '../src/state/memory-state-store.ts';
import { tlsConfigSchema } from '../src/tls/tls-config.ts';
import { createTlsListener } from '../src/tls/tls-listener.ts';
import { makeSigningKey, mint, startJwksServer } from '../test/helpers/jwks-server.ts';

const ITER = Number(process.env.AUTHN_BENCH_ITER ?? 5_000);
const silent = pino({ level: 'silent' });
const base = configSchema.parse({ upstreams: [{ name: 'bench', url: 'http://127.0.0.1:1/mcp', path: '/mcp' }], policy: { bundle: 'policies/' } });
const HOST = '127.0.0.1:8080';

function stats(samples: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)]!, p99: sorted[Math.floor(sorted.length * 0.99)]!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

async function timeAuth(label: string, auth: Record<string, unknown>, headers: Record<string, string>): Promise<void> {
  const authn = await createAuthn({ config: authConfigSchema.parse(auth), listen: base.listen, upstreams: base.upstreams, state: new MemoryStateStore(), audit: { record: () => {} }, logger: silent, baseDir: process.cwd() });
  const request: AuthRequest = { headers: { host: HOST, ...headers }, url: '/mcp', clientIp: '127.0.0.1', upstream: 'bench', peerCertificate: undefined };
  for (let i = 0; i < 200; i++) if (!(await authn.authenticator.authenticate(request)).ok) throw new Error(`${label}: refused during warm-up`);
  const samples: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const t = process.hrtime.bigint();
    await authn.authenticator.authenticate(request);
    samples.push(Number(process.hrtime.bigint() - t) / 1_000);
  }
  await authn.close();
  const s = stats(samples);
  console.log(`${label.padEnd(40)} p50 ${s.p50.toFixed(1).padStart(7)} µs   p99 ${s.p99.toFixed(1).padStart(7)} µs   mean ${s.mean.toFixed(1).padStart(7)} µs   (${ITER} requests)`);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function serial(origin: string, connect: Record<string, unknown>, n: number, newConnection: boolean): Promise<{ p50: number; p99: number; mean: number }> {
  const samples: number[] = [];
  let client = new Client(origin, { connect });
  for (let i = 0; i < n + 50; i++) {
    if (newConnection) {
      await client.close();
      client = new Client(origin, { connect });
    }
    const t = process.hrtime.bigint();
    const { statusCode, body } = await client.request({ method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    await body.text();
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
    if (i >= 50) samples.push(Number(process.hrtime.bigint() - t) / 1_000);
  }
  await client.close();
  return stats(samples);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${process.arch}\n\n-- authenticate() per request (in-process)`);
  const rsa = await makeSigningKey('rs', 'RS256');
  const ec = await makeSigningKey('ec', 'ES256');
  const jwks = await startJwksServer([rsa, ec]);
  const resource = `http://${HOST}/mcp`;
  const jwtAuth = { mode: 'jwt', jwt: { issuer: jwks.issuer, jwks_url: jwks.url, algorithms: ['RS256', 'ES256'] }, authorization_servers: [jwks.issuer] };
  const apiKey = generateApiKey();
  try {
    await timeAuth('mode none (baseline)', {}, {});
    const rsToken = `Bearer ${await mint(rsa, { issuer: jwks.issuer, audience: resource, expiresIn: 3600 })}`;
    const ecToken = `Bearer ${await mint(ec, { issuer: jwks.issuer, audience: resource, expiresIn: 3600 })}`;
    // Every request verifies the signature: the verified-token cache off (jwt.verified_cache.ttl_s: 0).
    const uncached = { ...jwtAuth, jwt: { ...jwtAuth.jwt, verified_cache: { ttl_s: 0 } } };
    await timeAuth('JWT RS256, cached JWKS, no token cache', uncached, { authorization: rsToken });
    await timeAuth('JWT ES256, cached JWKS, no token cache', uncached, { authorization: ecToken });
    // The same token on every request (a client's steady state): served from the verified-token cache.
    await timeAuth('JWT RS256, token cache hit', jwtAuth, { authorization: rsToken });
    await timeAuth('JWT ES256, token cache hit', jwtAuth, { authorization: ecToken });
    await timeAuth('API key (SHA-256 lookup)', { mode: 'api_key', api_key: { keys: [{ name: 'b', hash: hashApiKey(apiKey) }] } }, { 'x-api-key': apiKey });
    console.log(`   JWKS fetches during all JWT runs: ${jwks.fetches()} (one per verifier: the key set is cached)`);
  } finally {
    await jwks.close();
  }

  console.log('\n-- TLS termination (trivial handler; plain HTTP vs the mcp-warden TLS listener, self-signed ECDSA P-256)');
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-tls-'));
  const tls = (await createTlsListener(tlsConfigSchema.parse({ mode: 'self-signed', dir: 'tls' }), dir, silent))!;
  const handler = (_req: unknown, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 36 }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
  };
  const plain = createHttp(handler);
  const secure = createHttps(tls.options, handler);
  const plainPort = await listen(plain);
  const securePort = await listen(secure);
  const ca = readFileSync(join(dir, 'tls/server.crt'));
  try {
    const N = Number(process.env.AUTHN_BENCH_TLS_ITER ?? 1_000);
    const show = (label: string, s: { p50: number; p99: number; mean: number }) =>
      console.log(`${label.padEnd(40)} p50 ${s.p50.toFixed(0).padStart(7)} µs   p99 ${s.p99.toFixed(0).padStart(7)} µs   mean ${s.mean.toFixed(0).padStart(7)} µs`);
    show('HTTP keep-alive request', await serial(`http://127.0.0.1:${plainPort}`, {}, N, false));
    show('HTTPS keep-alive request', await serial(`https://localhost:${securePort}`, { ca, host: '127.0.0.1' }, N, false));
    show('HTTP new connection per request', await serial(`http://127.0.0.1:${plainPort}`, {}, N / 4, true));
    show('HTTPS new connection (handshake)', await serial(`https://localhost:${securePort}`, { ca, host: '127.0.0.1' }, N / 4, true));
  } finally {
    tls.close();
    plain.close();
    secure.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
