import { z } from 'zod';

/** `policy:` section. Owned by policy/; composed into the config schema by config/schema.ts. */
export const policyConfigSchema = z
  .object({
    /** A directory of .rego, a bundle .tar.gz, or an https URL. */
    bundle: z.string().min(1),
    /** Handed to the default policy as data.warden. */
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type PolicyConfig = z.infer<typeof policyConfigSchema>;
