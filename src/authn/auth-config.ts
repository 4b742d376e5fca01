import { z } from 'zod';

/**
 * `auth:` section. Owned by authn/.
 *
 * `mode` is one method or an ordered list. In a list, the first method whose credential the request
 * carries decides: it names the principal or the request is refused. A credential that is presented
 * but invalid never falls through to another method or to anonymous. `anonymous` only applies when
 * the request carries no credential at all, and only when listed.
 */
const METHODS = ['jwt', 'api_key', 'mtls', 'anonymous'] as const;
export type AuthMethodName = (typeof METHODS)[number];

/** Asymmetric algorithms only: `none` and HMAC (HS*) are not accepted (no HMAC with a public key). */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const claimPath = z.string().regex(/^[A-Za-z0-9_:/.-]+$/, 'a dot-separated claim path, e.g. realm_access.roles');

export const jwtConfigSchema = z
  .object({
    /** Expected `iss` (one or several). */
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /**
     * Expected `aud`. Default: the proxy's own resource URL for the path being accessed (MCP
     * authorization spec, RFC 8707), i.e. `<resource_base_url><upstream path>`.
     */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    /** A JWKS document on disk (static keys). */
    jwks_file: z.string().optional(),
    /** An inline JWKS document (static keys). */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
    clock_skew_s: z.number().int().min(0).max(300).default(30),
    /** How long a fetched JWKS is trusted before it is fetched again. */
    jwks_cache_s: z.number().int().min(1).default(600),
    /** Minimum time between two JWKS fetches triggered by an unknown `kid`. */
    jwks_cooldown_s: z.number().int().min(0).default(30),
    jwks_timeout_ms: z.number().int().positive().default(5_000),
    claims: z
      .object({
        id: claimPath.default('sub'),
        /** Array of strings, or a space-separated string. */
        roles: claimPath.default('roles'),
        scopes: claimPath.default('scope'),
      })
      .strict()
      .default({ id: 'sub', roles: 'roles', scopes: 'scope' }),
    /** Scopes every token must carry; a token without them gets 403 insufficient_scope. */
    required_scopes: z.array(z.string().min(1)).default([]),
    /**
     * Verified tokens are remembered (by a SHA-256 of the token) for at most `ttl_s` seconds, so the
     * signature is not checked again on every request; `exp`/`nbf` still are. 0 turns it off.
     */
    verified_cache: z
      .object({ ttl_s: z.number().int().min(0).max(3600).default(60), max_entries: z.number().int().positive().default(10_000) })
      .strict()
      .default({ ttl_s: 60, max_entries: 10_000 }),
  })
  .strict()
  .superRefine((jwt, ctx) => {
    const sources = [jwt.jwks_url, jwt.jwks_file, jwt.jwks].filter((s) => s !== undefined).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of jwks_url, jwks_file, jwks is required' });
  });

export const apiKeyEntrySchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'letters, digits, and _ . @ -'),
    /** `sha256:<64 hex>` of the key (see `mcp-warden apikey create`); the key itself is never stored. */
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be 'sha256:' and 64 lowercase hex digits"),
    roles: z.array(z.string().min(1)).default([]),
    scopes: z.array(z.string().min(1)).default([]),
    revoked: z.boolean().default(false),
    /** ISO 8601; the key stops working then. */
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

export const apiKeyConfigSchema = z
  .object({
    /** Header carrying the key (besides `Authorization: Bearer mcpw_…`). */
    header: z.string().regex(/^[A-Za-z0-9-]+$/).default('x-api-key'),
    keys: z.array(apiKeyEntrySchema).default([]),
    /** A YAML/JSON file holding `keys: [...]` (or a bare list), re-read when it changes. */
    file: z.string().optional(),
  })
  .strict()
  .default({ header: 'x-api-key', keys: [] });

export const mtlsConfigSchema = z
  .object({
    /** CA bundle (PEM) the client certificate must chain to. Also given to the TLS listener. */
    ca_file: z.string(),
    /** Which name in the certificate is the principal id. */
    principal_from: z.enum(['subject_cn', 'san_dns', 'san_email', 'san_uri']).default('subject_cn'),
    default_roles: z.array(z.string().min(1)).default([]),
    /** Per principal id: its roles (replacing default_roles). */
    principals: z.record(z.string(), z.object({ roles: z.array(z.string().min(1)) }).strict()).default({}),
  })
  .strict();

export const authConfigSchema = z
  .object({
    mode: z.union([z.enum(['none', 'jwt', 'api_key', 'mtls']), z.array(z.enum(METHODS)).min(1)]).default('none'),
    /**
     * The proxy's public origin as clients reach it (e.g. https://mcp.example.com). The resource URL
     * of an upstream is this plus its path. Default: the scheme of the listener and the request's
     * Host header (already checked against http.allowed_hosts).
     */
    resource_base_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Authorization servers named in the Protected Resource Metadata (RFC 9728). */
    authorization_servers: z.array(z.url()).default([]),
    scopes_supported: z.array(z.string()).optional(),
    resource_documentation: z.url().optional(),
    jwt: jwtConfigSchema.optional(),
    api_key: apiKeyConfigSchema,
    mtls: mtlsConfigSchema.optional(),
    anonymous: z.object({ roles: z.array(z.string().min(1)).default(['viewer']) }).strict().default({ roles: ['viewer'] }),
    /** Failed attempts per client IP per window before further attempts get 429. */
    failure_limit: z
      .object({ max_failures: z.number().int().positive().default(20), window_s: z.number().int().positive().default(60) })
      .strict()
      .default({ max_failures: 20, window_s: 60 }),
    /**
     * Session bindings (Mcp-Session-Id, legacy sessionId, WebSocket connection → principal). A
     * binding not used for `idle_ttl_s` is forgotten, and the session with it (404, the client
     * re-initialises); a stream or WebSocket connection keeps its binding while it is open. A
     * principal holds at most `max_per_principal` live sessions; one more is refused with 429.
     */
    sessions: z
      .object({ idle_ttl_s: z.number().int().min(60).max(7 * 24 * 3600).default(3600), max_per_principal: z.number().int().positive().default(100) })
      .strict()
      .default({ idle_ttl_s: 3600, max_per_principal: 100 }),
  })
  .strict()
  .superRefine((auth, ctx) => {
    const methods = authMethods(auth.mode);
    if (methods.includes('jwt') && auth.jwt === undefined) ctx.addIssue({ code: 'custom', path: ['jwt'], message: 'required when mode includes jwt' });
    if (methods.includes('mtls') && auth.mtls === undefined) ctx.addIssue({ code: 'custom', path: ['mtls'], message: 'required when mode includes mtls' });
    if (new Set(methods).size !== methods.length) ctx.addIssue({ code: 'custom', path: ['mode'], message: 'lists a method twice' });
    if (methods.includes('anonymous') && methods.at(-1) !== 'anonymous')
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'anonymous must come last (it only applies when no credential is presented)' });
  })
  .default({
    mode: 'none',
    authorization_servers: [],
    api_key: { header: 'x-api-key', keys: [] },
    anonymous: { roles: ['viewer'] },
    failure_limit: { max_failures: 20, window_s: 60 },
    sessions: { idle_ttl_s: 3600, max_per_principal: 100 },
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type JwtConfig = z.infer<typeof jwtConfigSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeyConfigSchema>;
export type MtlsConfig = z.infer<typeof mtlsConfigSchema>;

/** `mode` as an ordered list of methods; `none` is `[]` (everyone is the anonymous viewer). */
export function authMethods(mode: AuthConfig['mode']): AuthMethodName[] {
  if (mode === 'none') return [];
  return typeof mode === 'string' ? [mode] : [...mode];
}
