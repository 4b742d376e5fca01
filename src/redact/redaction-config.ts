import { z } from 'zod';

/** `redaction:` section. Owned by redact/. */
export const redactionConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict()
  .default({ enabled: true });

export type RedactionConfig = z.infer<typeof redactionConfigSchema>;
