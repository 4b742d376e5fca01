import { z } from 'zod';
import { defaultPolicyDataSchema } from './policy-data-schema.ts';

/** One key that may sign policy bundles (`.signatures.json`, OPA's bundle signing format). */
const signingKeySchema = z
  .object({
    /** Matches the `kid` of the signature (OPA's default key id is `default`). */
    id: z.string().min(1).default('default'),
    algorithm: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']).default('RS256'),
    /** A PEM public key (SPKI), inline or via ${env:…}. Exactly one of key and file. */
    key: z.string().min(1).optional(),
    /** A file holding the PEM public key, relative to the config file. */
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((k) => (k.key === undefined) !== (k.file === undefined), 'give exactly one of key and file');

const signingSchema = z
  .object({
    /** Refuse bundles without a valid `.signatures.json` signed by one of `keys`. */
    required: z.boolean().default(false),
    keys: z.array(signingKeySchema).default([]),
    /** When set, the signature's `scope` claim must equal it. */
    scope: z.string().optional(),
  })
  .strict()
  .refine((s) => !s.required || s.keys.length > 0, 'signing.required needs at least one key in signing.keys')
  .default({ required: false, keys: [] });

const pollingSchema = z
  .object({
    /** Seconds between polls of an https bundle server. */
    interval_seconds: z.number().positive().default(60),
    /** Up to this many seconds are added at random to each interval, so replicas do not poll in step. */
    jitter_seconds: z.number().min(0).default(10),
    /** Time limit for one bundle download. */
    timeout_ms: z.number().int().positive().default(10_000),
    /** Largest bundle accepted (compressed and uncompressed), in bytes. */
    max_bytes: z.number().int().positive().default(32 * 1024 * 1024),
    /** Extra request headers for the bundle server (e.g. Authorization: Bearer ${env:BUNDLE_TOKEN}). */
    headers: z.record(z.string(), z.string()).default({}),
    /** A PEM CA bundle file to trust for the bundle server, relative to the config file. */
    ca_file: z.string().optional(),
    /** Accept a plain http:// bundle URL on a loopback address (tests and local development only). */
    allow_insecure_http: z.boolean().default(false),
  })
  .strict()
  .default({ interval_seconds: 60, jitter_seconds: 10, timeout_ms: 10_000, max_bytes: 32 * 1024 * 1024, headers: {}, allow_insecure_http: false });

const editModeSchema = z
  .object({
    /** Length of an edit-mode window when the admin does not say. */
    default_minutes: z.number().positive().default(15),
    /** Longest edit-mode window an admin may ask for. */
    max_minutes: z.number().positive().default(60),
  })
  .strict()
  .refine((e) => e.default_minutes <= e.max_minutes, 'default_minutes must not exceed max_minutes')
  .default({ default_minutes: 15, max_minutes: 60 });

const decisionCacheSchema = z
  .object({
    enabled: z.boolean().default(true),
    max_entries: z.number().int().positive().default(10_000),
  })
  .strict()
  .default({ enabled: true, max_entries: 10_000 });

export const DEFAULT_ENTRYPOINT = 'mcp_warden/decision';

/** `policy:` section. Owned by policy/; composed into the config schema by config/schema.ts. */
export const policyConfigSchema = z
  .object({
    /** A directory of .rego (compiled at start-up), a bundle .tar.gz, or an https URL of a bundle server. */
    bundle: z.string().min(1),
    /** Handed to the default policy as data.warden (docs/policy.md describes its shape). */
    data: z.record(z.string(), z.unknown()).default({}),
    /** The bundle's decision entrypoint (`opa build -e`). */
    entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/, 'an OPA entrypoint such as mcp_warden/decision').default('mcp_warden/decision'),
    signing: signingSchema,
    polling: pollingSchema,
    /** Reload a local bundle (directory or file) when it changes on disk. */
    watch: z.boolean().default(true),
    edit_mode: editModeSchema,
    /** Decisions cached per (bundle, edit mode, input); never outlive either. */
    decision_cache: decisionCacheSchema,
    /** The OPA CLI used to compile a directory of .rego (OPA_BIN overrides it). */
    opa_bin: z.string().optional(),
    /**
     * Put the params of server→client notifications (progress, log data, resource updates) into
     * the policy input. Off by default, as for responses: they carry data, not actions, and
     * serialising them into the policy for every event was most of the cost of a long SSE stream.
     * The method is always in the input. Turn on if your policy decides on their contents.
     */
    server_notification_params: z.boolean().default(false),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.entrypoint !== DEFAULT_ENTRYPOINT) return;
    const result = defaultPolicyDataSchema.safeParse(policy.data);
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: ['data', ...issue.path] } as never);
  });

export type PolicyConfig = z.infer<typeof policyConfigSchema>;
export type SigningKeyConfig = z.infer<typeof signingKeySchema>;
