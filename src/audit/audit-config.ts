import { z } from 'zod';

/**
 * `audit:` section. Owned by audit/. The minimum `audit: {sinks: [{type: file, path: audit.jsonl}]}`
 * works with every other key defaulted. Paths (spool dir, file sink, keys, CA files) resolve against
 * the directory of the config file.
 */
const retrySchema = z
  .object({
    initial_ms: z.number().int().positive().default(200),
    max_ms: z.number().int().positive().default(30_000),
  })
  .strict()
  .prefault({});

const common = {
  /** Names the sink's cursor file and its metrics label; defaults to `<type>-<index>`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (it is a metrics label and a file name)').optional(),
  format: z.enum(['ocsf', 'ecs', 'cef']).default('ocsf'),
  /** Most events per delivery (one HTTP request, one RELP window's worth). */
  batch_size: z.number().int().min(1).max(10_000).default(500),
  /** How long to wait for more events after a short read, so that a batch is not one event. */
  linger_ms: z.number().int().min(0).max(10_000).default(20),
  retry: retrySchema,
};

const tlsClientSchema = z
  .object({
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    servername: z.string().optional(),
    reject_unauthorized: z.boolean().default(true),
  })
  .strict();

const httpCommon = {
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  timeout_ms: z.number().int().positive().default(10_000),
  tls: tlsClientSchema.optional(),
};

export const sinkSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), path: z.string().min(1), max_bytes: z.number().int().positive().default(100 * 1024 * 1024), max_files: z.number().int().min(1).default(10), ...common }).strict(),
  z.object({ type: z.literal('stdout'), ...common }).strict(),
  z
    .object({
      type: z.literal('syslog'),
      protocol: z.enum(['tcp', 'tls', 'relp']).default('relp'),
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(1).max(65535),
      facility: z.number().int().min(0).max(23).default(10), // authpriv
      app_name: z.string().regex(/^[!-~]{1,48}$/).default('mcp-warden'),
      hostname: z.string().regex(/^[!-~]{1,255}$/).optional(),
      tls: tlsClientSchema.optional(),
      /** RELP: most unacknowledged frames in flight. */
      window: z.number().int().min(1).max(1024).default(128),
      timeout_ms: z.number().int().positive().default(10_000),
      ...common,
    })
    .strict(),
  z.object({ type: z.literal('webhook'), hmac_secret: z.string().min(16).optional(), signature_header: z.string().default('X-Warden-Signature'), ...httpCommon, ...common }).strict(),
  z
    .object({
      type: z.literal('splunk_hec'),
      token: z.string().min(1),
      index: z.string().optional(),
      source: z.string().default('mcp-warden'),
      sourcetype: z.string().default('ocsf:api_activity'),
      /** Indexer acknowledgement: the cursor advances only when Splunk says the events are indexed. */
      ack: z.boolean().default(false),
      channel: z.uuid().optional(),
      ack_poll_ms: z.number().int().positive().default(500),
      ack_timeout_ms: z.number().int().positive().default(60_000),
      ...httpCommon,
      ...common,
    })
    .strict(),
  z.object({ type: z.literal('otlp'), service_name: z.string().default('mcp-warden'), ...httpCommon, ...common }).strict(),
]);

const spoolSchema = z
  .object({
    dir: z.string().default('audit-spool'),
    segment_bytes: z.number().int().min(4096).default(16 * 1024 * 1024),
    max_bytes: z.number().int().min(8192).default(1024 * 1024 * 1024),
    /** What happens when the spool holds max_bytes: refuse new MCP requests, or delete the oldest segment. */
    full_policy: z.enum(['block', 'drop_oldest']).default('block'),
    fsync: z.enum(['always', 'batched']).default('batched'),
    fsync_interval_ms: z.number().int().positive().default(50),
    /** fsync `always`: how long an answer may wait for its event to be synced in the spool before it is refused (503). */
    write_timeout_ms: z.number().int().positive().default(5_000),
    /** The journal (the proxy thread's append-only log the audit thread spools from) starts a new file past this size. */
    journal_file_bytes: z.number().int().min(4096).default(4 * 1024 * 1024),
    /** Most bytes of events the journal may hold not yet spooled; past it new MCP requests are refused (fail closed). */
    journal_max_bytes: z.number().int().min(65_536).default(64 * 1024 * 1024),
    /** Acknowledged segments are kept this long (for `audit verify`) before deletion. */
    retention_ms: z.number().int().min(0).default(0),
  })
  .strict();

const checkpointSchema = z
  .object({
    /** Ed25519 private key: PEM (PKCS#8), or a path to a PEM file. */
    signing_key: z.string().optional(),
    signing_key_file: z.string().optional(),
    key_id: z.string().default('default'),
    interval_ms: z.number().int().positive().default(60_000),
    every_events: z.number().int().positive().default(10_000),
  })
  .strict();

export const auditConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Names this replica in every event (one hash chain per replica). Default: $HOSTNAME, i.e. the pod name. */
    replica_id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).optional(),
    spool: spoolSchema.prefault({}),
    checkpoint: checkpointSchema.prefault({}),
    /** `digest`: SHA-256 of the canonical arguments only; `redacted`: also the arguments, redacted. */
    arguments: z.enum(['digest', 'redacted']).default('digest'),
    /** Requests awaiting their response: beyond `max` or `timeout_ms` they are audited without it. */
    pending: z
      .object({ max: z.number().int().positive().default(10_000), timeout_ms: z.number().int().positive().default(120_000) })
      .strict()
      .prefault({}),
    sinks: z.array(sinkSchema).default([]),
  })
  .strict()
  .superRefine((audit, ctx) => {
    const seen = new Map<string, number>();
    audit.sinks.forEach((s, i) => {
      const name = s.name ?? `${s.type}-${i}`;
      const prev = seen.get(name);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['sinks', i, 'name'], message: `duplicates sinks[${prev}] name '${name}'` });
      seen.set(name, i);
      if (s.type === 'syslog' && s.protocol === 'tcp' && s.tls !== undefined)
        ctx.addIssue({ code: 'custom', path: ['sinks', i, 'tls'], message: 'tls options need protocol tls (or relp)' });
    });
    if (audit.spool.max_bytes < 2 * audit.spool.segment_bytes)
      ctx.addIssue({ code: 'custom', path: ['spool', 'max_bytes'], message: 'must be at least twice spool.segment_bytes' });
    if (audit.checkpoint.signing_key !== undefined && audit.checkpoint.signing_key_file !== undefined)
      ctx.addIssue({ code: 'custom', path: ['checkpoint'], message: 'give signing_key or signing_key_file, not both' });
  })
  .prefault({});

export type AuditConfig = z.infer<typeof auditConfigSchema>;
export type SinkConfig = z.infer<typeof sinkSchema>;
export type SpoolConfig = AuditConfig['spool'];

export function sinkName(sink: SinkConfig, index: number): string {
  return sink.name ?? `${sink.type}-${index}`;
}
