import { z } from 'zod';
import { compileCustomPattern } from './detectors/custom-detector.ts';
import { BUILTIN_ENTITY_TYPES, ENTITY_TYPE_NAME } from './entity-types.ts';

/** What happens to a detected value (docs/redaction.md). */
export const REDACTION_ACTIONS = ['mask', 'partial', 'hash', 'drop', 'block'] as const;
export type RedactionAction = (typeof REDACTION_ACTIONS)[number];
const actionSchema = z.enum(REDACTION_ACTIONS);

/** Environment variable read for the HMAC key when `redaction.hash_key` is not set. */
export const HASH_KEY_ENV = 'MCP_WARDEN_REDACT_HASH_KEY';

const typeName = z.string().regex(ENTITY_TYPE_NAME, 'an entity type is upper case letters, digits and _ (e.g. EMPLOYEE_ID)');

const customPatternSchema = z
  .object({
    /** Entity type the pattern reports (mask text, metrics label, policy data). */
    type: typeName,
    /** RE2 syntax (linear time; no backreferences or lookaround). Matched per line. */
    pattern: z.string().min(1).max(2000),
    ignore_case: z.boolean().default(false),
  })
  .strict();

/** `redaction:` section. Owned by redact/. */
export const redactionConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Action for every type not listed in `actions`. */
    default_action: actionSchema.default('mask'),
    /** Per entity type action, e.g. `{CREDIT_CARD: partial, PRIVATE_KEY: block}`. */
    actions: z.record(typeName, actionSchema).default({}),
    /** HMAC-SHA256 key for `hash` (at least 16 characters); else the MCP_WARDEN_REDACT_HASH_KEY env variable. */
    hash_key: z.string().min(16, 'at least 16 characters').optional(),
    /** Also redact what clients send (tools/call arguments and every other client→server string). */
    scan_arguments: z.boolean().default(false),
    /** Also scan base64 `blob`/`data` fields (decoded when they are UTF-8 text). Off: left as they are. */
    scan_blobs: z.boolean().default(false),
    /** Extra detectors from the config. */
    custom: z.array(customPatternSchema).max(100).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const known = new Set<string>(BUILTIN_ENTITY_TYPES);
    config.custom.forEach((c, i) => {
      if (known.has(c.type)) ctx.addIssue({ code: 'custom', path: ['custom', i, 'type'], message: `${c.type} is already an entity type` });
      known.add(c.type);
      const refused = compileCustomPattern(c.pattern, c.ignore_case).error;
      if (refused !== undefined) ctx.addIssue({ code: 'custom', path: ['custom', i, 'pattern'], message: `pattern refused: ${refused}` });
    });
    for (const type of Object.keys(config.actions)) {
      if (!known.has(type)) ctx.addIssue({ code: 'custom', path: ['actions', type], message: `unknown entity type ${type} (known: built-in types and custom[].type)` });
    }
    const usesHash = config.default_action === 'hash' || Object.values(config.actions).includes('hash');
    if (usesHash && config.hash_key === undefined && (process.env[HASH_KEY_ENV] ?? '').length < 16) {
      ctx.addIssue({ code: 'custom', path: ['hash_key'], message: `the hash action needs hash_key or ${HASH_KEY_ENV} (at least 16 characters)` });
    }
  })
  .prefault({});

export type RedactionConfig = z.infer<typeof redactionConfigSchema>;

/**
 * The entity types this config can redact: the built-in ones plus `custom[].type`. The policy
 * receives this list as `data.warden.redaction.types` and answers with the ones to apply.
 */
export function redactionEntityTypes(config: RedactionConfig): readonly string[] {
  return [...BUILTIN_ENTITY_TYPES, ...config.custom.map((c) => c.type)];
}
