import { z } from 'zod';

/** `auth:` section. Owned by authn/. */
export const authConfigSchema = z
  .object({
    mode: z.union([z.enum(['none', 'jwt', 'api_key', 'mtls']), z.array(z.enum(['jwt', 'api_key', 'mtls', 'anonymous'])).min(1)]).default('none'),
  })
  .strict()
  .default({ mode: 'none' });

export type AuthConfig = z.infer<typeof authConfigSchema>;
