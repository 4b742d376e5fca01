import { z } from 'zod';
import { auditConfigSchema } from '../audit/audit-config.ts';
import { authConfigSchema } from '../authn/auth-config.ts';
import { upstreamCredentialSchema } from '../authn/upstream-credential-config.ts';
import { policyConfigSchema } from '../policy/policy-config.ts';
import { redactionConfigSchema } from '../redact/redaction-config.ts';
import { tlsConfigSchema } from '../tls/tls-config.ts';
import { reservedPathReason, servedPaths } from './served-paths.ts';

/**
 * An integer that may also be written as a string of digits, because `${env:PORT}` substitutes
 * strings. Only digits: an empty or unset-looking value never becomes 0.
 */
export function integer(refine: (n: z.ZodNumber) => z.ZodNumber = (n) => n) {
  return z.preprocess((v) => (typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v), refine(z.number().int()));
}

/**
 * The config contract (DESIGN.md). Keys are public and stable. Every object is strict, so a typo
 * is an error naming the key rather than a silently ignored setting.
 */
// listen.tls belongs to tls/ (issue 4).
const tlsSchema = tlsConfigSchema;

export const listenSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: integer((n) => n.min(0).max(65535)).default(8080),
    tls: tlsSchema,
  })
  .strict();

const pathSchema = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, 'must be an absolute URL path');

export const upstreamSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (it is a metrics label)'),
    url: z.url({ protocol: /^(https?|wss?)$/ }),
    transport: z.enum(['streamable-http', 'sse', 'websocket']).default('streamable-http'),
    /** Where the proxy serves it. For sse, the GET stream path; the POST path is `<path>/message`. */
    path: pathSchema,
    /** Milliseconds to wait for upstream response headers. */
    timeout_ms: integer((n) => n.positive()).default(60_000),
    /** The proxy's own credential for this upstream (authn/upstream-credential-config.ts). */
    auth: upstreamCredentialSchema.optional(),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Largest single JSON-RPC message (or batch), either direction, in bytes. */
    max_message_bytes: integer((n) => n.positive()).default(4 * 1024 * 1024),
    /** Deepest JSON nesting accepted. */
    max_json_depth: integer((n) => n.positive()).default(64),
  })
  .strict()
  .default({ max_message_bytes: 4 * 1024 * 1024, max_json_depth: 64 });

export const httpSchema = z
  .object({
    /** Host header values accepted (DNS rebinding protection). Empty: loopback names plus listen.host. */
    allowed_hosts: z.array(z.string()).default([]),
    /** Origin values accepted when a request carries Origin. Empty: same host only. `*` disables the check. */
    allowed_origins: z.array(z.string()).default([]),
  })
  .strict()
  .default({ allowed_hosts: [], allowed_origins: [] });

export const adminSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: integer((n) => n.min(0).max(65535)).default(9090),
    enabled: z.boolean().default(true),
    /** Hex SHA-256 of a bearer token that stands for an admin principal (or MCP_WARDEN_ADMIN_TOKEN_SHA256). */
    token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the token, 64 hex characters').optional(),
  })
  .strict()
  .default({ host: '127.0.0.1', port: 9090, enabled: true });

export const loggingSchema = z
  .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
  .strict()
  .default({ level: 'info' });

export const shutdownSchema = z
  .object({ grace_ms: integer((n) => n.min(0)).default(10_000) })
  .strict()
  .default({ grace_ms: 10_000 });

export const configSchema = z
  .object({
    listen: listenSchema.default({ host: '127.0.0.1', port: 8080, tls: { mode: 'off' } }),
    upstreams: z.array(upstreamSchema).min(1, 'at least one upstream is required'),
    policy: policyConfigSchema,
    auth: authConfigSchema,
    redaction: redactionConfigSchema,
    audit: auditConfigSchema,
    limits: limitsSchema,
    http: httpSchema,
    admin: adminSchema,
    logging: loggingSchema,
    shutdown: shutdownSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seenPaths = new Map<string, number>();
    const seenNames = new Map<string, number>();
    config.upstreams.forEach((u, i) => {
      // A legacy SSE upstream also serves `<path>/message`: it may collide like any other path.
      for (const served of servedPaths(u)) {
        const p = seenPaths.get(served);
        if (p !== undefined) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'path'], message: `${served} is also served for upstreams[${p}]` });
        const reserved = reservedPathReason(served);
        if (reserved !== undefined) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'path'], message: reserved });
        seenPaths.set(served, i);
      }
      const n = seenNames.get(u.name);
      if (n !== undefined) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'name'], message: `duplicates upstreams[${n}].name` });
      seenNames.set(u.name, i);
      const wsUrl = u.url.startsWith('ws');
      if ((u.transport === 'websocket') !== wsUrl)
        ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'url'], message: `transport ${u.transport} needs a ${u.transport === 'websocket' ? 'ws:// or wss://' : 'http:// or https://'} URL` });
    });
  });

export type WardenConfig = z.infer<typeof configSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
