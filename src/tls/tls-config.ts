import { z } from 'zod';

/**
 * `listen.tls`. Owned by tls/ (issue 4).
 * - `off`: plain HTTP (loopback or behind a terminating proxy).
 * - `self-signed`: a key and certificate are generated on first start under `dir` (0600), reused on
 *   restart, replaced by `mcp-warden certs rotate` (the running proxy picks the new pair up).
 * - `files`: `cert_file` and `key_file` (PEM), reloaded when they change without dropping live
 *   connections (new handshakes use the new pair).
 */
export const tlsConfigSchema = z
  .object({
    mode: z.enum(['off', 'self-signed', 'files']).default('off'),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    // The fields below have their defaults applied by tlsSettings(), not by the schema, so that a
    // bare `{mode: 'off'}` (the listen section's own default) is a complete value.
    /** Where self-signed material lives (relative to the config file). Default .warden/tls */
    dir: z.string().optional(),
    /** Subject alternative names for self-signed certificates. Default [localhost] */
    hostnames: z.array(z.string().regex(/^[A-Za-z0-9*.-]+$/)).min(1).optional(),
    /** Default [127.0.0.1, ::1] */
    ips: z.array(z.union([z.ipv4(), z.ipv6()])).optional(),
    /** Default 365 */
    valid_days: z.number().int().min(1).max(825).optional(),
    /** Default TLSv1.2 */
    min_version: z.enum(['TLSv1.2', 'TLSv1.3']).optional(),
    /** How often `files` mode looks for a changed certificate or key. Default 2000 */
    reload_interval_ms: z.number().int().min(100).optional(),
  })
  .strict()
  .superRefine((tls, ctx) => {
    if (tls.mode === 'files') {
      if (tls.cert_file === undefined) ctx.addIssue({ code: 'custom', path: ['cert_file'], message: "required when mode is 'files'" });
      if (tls.key_file === undefined) ctx.addIssue({ code: 'custom', path: ['key_file'], message: "required when mode is 'files'" });
    }
  })
  .default({ mode: 'off' });

export type TlsConfig = z.infer<typeof tlsConfigSchema>;

export interface TlsSettings {
  readonly mode: 'off' | 'self-signed' | 'files';
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly dir: string;
  readonly hostnames: readonly string[];
  readonly ips: readonly string[];
  readonly validDays: number;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly reloadIntervalMs: number;
}

/** The TLS section with its defaults applied. */
export function tlsSettings(config: TlsConfig): TlsSettings {
  return {
    mode: config.mode,
    certFile: config.cert_file,
    keyFile: config.key_file,
    dir: config.dir ?? '.warden/tls',
    hostnames: config.hostnames ?? ['localhost'],
    ips: config.ips ?? ['127.0.0.1', '::1'],
    validDays: config.valid_days ?? 365,
    minVersion: config.min_version ?? 'TLSv1.2',
    reloadIntervalMs: config.reload_interval_ms ?? 2_000,
  };
}

/**
 * TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are all modern and are
 * configured separately by OpenSSL). No CBC, no RSA key exchange, no SHA-1 MACs.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
