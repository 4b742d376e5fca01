import { z } from 'zod';

/**
 * `upstreams[].auth`: the proxy's own credential for one upstream (the client's never passes).
 * Exactly one source: `value` (literal; use `${secret:NAME}` or `${env:NAME}` so that it is not
 * plaintext in the config), `value_file` (re-read when it changes, e.g. a mounted Kubernetes
 * secret or a token a sidecar refreshes), or `value_env` (read on every request).
 * `scheme` is prefixed with a space: `scheme: Bearer` + a token file → `Authorization: Bearer <token>`.
 */
const FORBIDDEN_HEADERS = new Set([
  'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive',
  'proxy-connection', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions',
]);

export const upstreamCredentialSchema = z
  .object({
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name')
      .refine((h) => !FORBIDDEN_HEADERS.has(h.toLowerCase()) && !h.toLowerCase().startsWith('mcp-param-'), 'this header is set by the proxy or the protocol')
      .default('authorization'),
    scheme: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/).optional(),
    value: z.string().min(1).optional(),
    value_file: z.string().min(1).optional(),
    value_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const n = [c.value, c.value_file, c.value_env].filter((v) => v !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of value, value_file, value_env is required' });
    if (c.value !== undefined && /[\r\n\0]/.test(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must not contain line breaks' });
  });

export type UpstreamCredentialConfig = z.infer<typeof upstreamCredentialSchema>;
