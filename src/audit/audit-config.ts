import { z } from 'zod';

/** `audit:` section. Owned by audit/. */
export const auditConfigSchema = z
  .object({
    sinks: z.array(z.object({ type: z.string() }).passthrough()).default([]),
  })
  .strict()
  .default({ sinks: [] });

export type AuditConfig = z.infer<typeof auditConfigSchema>;
