import { z } from 'zod';

/**
 * The shape of `policy.data` for the default policy (docs/policy.md). Checked at config load when
 * the default entrypoint is used, so that a misspelt key (`write_allowlst`) is an error naming it
 * rather than a silently wider or narrower policy. Custom policies get their data unchecked.
 */
const verdict = z.enum(['read', 'write', 'deny']);
const toolRules = z.record(z.string().min(1), verdict);
const globs = z.array(z.string().min(1));
const serverRequests = z.partialRecord(z.enum(['sampling/createMessage', 'elicitation/create', 'roots/list']), z.enum(['allow', 'deny']));
const roleName = z.enum(['admin', 'operator', 'viewer']);

const argumentConstraint = z
  .object({
    prefix: z.union([z.string(), z.array(z.string())]).optional(),
    pattern: z.string().optional(),
    enum: z.array(z.unknown()).optional(),
    max_length: z.number().int().nonnegative().optional(),
    required: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.pattern === undefined || isRegExp(c.pattern), 'pattern is not a valid regular expression');

function isRegExp(p: string): boolean {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}

const argumentRules = z.record(z.string().min(1), z.record(z.string().min(1), argumentConstraint));

const upstreamData = z
  .object({
    tools: toolRules.optional(),
    write_allowlist: globs.optional(),
    arguments: argumentRules.optional(),
    resources: globs.optional(),
    prompts: globs.optional(),
    server_requests: serverRequests.optional(),
  })
  .strict();

const exemption = z
  .object({
    roles: z.array(z.string()).optional(),
    principals: z.array(z.string()).optional(),
    upstreams: z.array(z.string()).optional(),
    tools: globs.optional(),
    types: z.union([z.literal('*'), z.array(z.string())]).default('*'),
  })
  .strict();

export const defaultPolicyDataSchema = z
  .object({
    tools: toolRules.optional(),
    upstreams: z.record(z.string(), upstreamData).optional(),
    role_map: z.record(z.string(), z.union([roleName, z.array(roleName)])).optional(),
    role_claims: z.array(z.string()).optional(),
    read_roles: z.array(roleName).optional(),
    write_roles: z.array(roleName).optional(),
    principals: z.record(z.string(), z.object({ roles: z.array(roleName).optional(), tools: globs.optional() }).strict()).optional(),
    write_allowlist: globs.optional(),
    arguments: argumentRules.optional(),
    resources: globs.optional(),
    prompts: globs.optional(),
    server_requests: serverRequests.optional(),
    edit_mode: z.boolean().optional(),
    redaction: z.object({ exempt: z.array(exemption).optional() }).strict().optional(),
    audit: z.object({ level: z.enum(['full', 'metadata', 'none']) }).strict().optional(),
  })
  .strict();
