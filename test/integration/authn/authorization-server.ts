import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeSigningKey, mint, startJwksServer, type SigningKey } from '../../helpers/jwks-server.ts';

/** One request the authorization server received (path and form/query fields; never a secret). */
export interface AsRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface AuthorizationServer {
  /** The issuer (and origin): what mcp-warden lists in `authorization_servers` and checks as `iss`. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly key: SigningKey;
  readonly requests: AsRequest[];
  /** Tokens issued, with the audience each was minted for (the RFC 8707 `resource` asked for). */
  readonly issued: { grant: string; audience: string; token: string }[];
  close(): Promise<void>;
}

export const CLIENT_ID = 'mcp-remote-test';
export const CLIENT_SECRET = 'as-stub-client-secret';

/**
 * A small OAuth 2.1 authorization server for the discovery-flow tests: RFC 8414 metadata, dynamic
 * client registration (RFC 7591), an authorization endpoint that approves at once (the "browser"
 * is the test), a token endpoint for `authorization_code` (PKCE S256 checked) and
 * `client_credentials`, and the JWKS its tokens are signed with (test/helpers/jwks-server.ts). A
 * token's audience is the `resource` the client asked for, as RFC 8707 says; a client that asks
 * for none gets a token for the authorization server itself, which mcp-warden must refuse.
 */
export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const key = await makeSigningKey('as-stub');
  const requests: AsRequest[] = [];
  const issued: AuthorizationServer['issued'] = [];
  const codes = new Map<string, { challenge: string; resource: string; redirectUri: string }>();
  let issuer = '';

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
  };
  const token = async (res: ServerResponse, grant: string, resource: string | undefined) => {
    const audience = resource ?? issuer;
    const accessToken = await mint(key, { issuer, audience, subject: grant === 'client_credentials' ? CLIENT_ID : 'alice', expiresIn: 600, claims: { roles: ['operator'] } });
    issued.push({ grant, audience, token: accessToken });
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 600 });
  };

  const routes = async (req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> => {
    issuer = origin;
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/jwks.json') return false;
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const form = Object.fromEntries(new URLSearchParams(req.headers['content-type']?.includes('json') ? '' : body));
    const params: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...form };
    delete params.client_secret;
    delete params.code_verifier;
    requests.push({ method: req.method ?? '', path: url.pathname, params });
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        jwks_uri: `${issuer}/jwks.json`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      });
    } else if (url.pathname === '/register' && req.method === 'POST') {
      const metadata = JSON.parse(body) as Record<string, unknown>;
      json(res, 201, { ...metadata, client_id: CLIENT_ID, client_id_issued_at: Math.floor(Date.now() / 1000), token_endpoint_auth_method: 'none' });
    } else if (url.pathname === '/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', resource: url.searchParams.get('resource') ?? '', redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
    } else if (url.pathname === '/token' && req.method === 'POST') {
      const grant = form.grant_type ?? '';
      if (grant === 'client_credentials') {
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        const [id, secret] = basic.includes(':') ? basic.split(':').map(decodeURIComponent) : [form.client_id, form.client_secret];
        if (id !== CLIENT_ID || secret !== CLIENT_SECRET) json(res, 401, { error: 'invalid_client' });
        else await token(res, grant, form.resource);
      } else if (grant === 'authorization_code') {
        const pending = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const challenge = createHash('sha256').update(form.code_verifier ?? '').digest('base64url');
        if (pending === undefined || pending.challenge !== challenge || pending.redirectUri !== form.redirect_uri) json(res, 400, { error: 'invalid_grant' });
        else await token(res, grant, form.resource ?? pending.resource);
      } else json(res, 400, { error: 'unsupported_grant_type' });
    } else json(res, 404, { error: 'not_found' });
    return true;
  };
  const server = await startJwksServer([key], routes);
  issuer = server.issuer;
  return { issuer: server.issuer, jwksUrl: server.url, key, requests, issued, close: () => server.close() };
}
