import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { JsonRpcMessage } from '../../../src/jsonrpc/message.ts';
import { summarise } from '../../../src/jsonrpc/summarise.ts';
import type { AuditPort, SecurityEvent } from '../../../src/pipeline/audit-port.ts';
import type { ConnectionInfo, Direction, MessageContext, TransportName } from '../../../src/pipeline/exchange-context.ts';
import { ANONYMOUS_VIEWER, type Principal } from '../../../src/pipeline/principal.ts';
import { buildBundle } from '../../../src/policy/bundle-build.ts';
import { parseBundle, type PolicyBundle } from '../../../src/policy/bundle.ts';

export const POLICIES_DIR = resolve(import.meta.dirname, '../../../policies');
export const ENTRYPOINT = 'mcp_warden/decision';
export const REDACTION_TYPES = ['EMAIL_ADDRESS', 'CREDIT_CARD', 'US_SSN'] as const;
export const SILENT = pino({ level: 'silent' });

/** Compiles a directory of Rego with the real OPA CLI into a temp dir; returns the bundle bytes. */
export async function compileBundle(dir: string = POLICIES_DIR, revision?: string): Promise<Buffer> {
  const tmp = await mkdtemp(join(tmpdir(), 'warden-policy-test-'));
  try {
    const out = join(tmp, 'bundle.tar.gz');
    await buildBundle({ dir, out, entrypoints: [ENTRYPOINT], ...(revision ? { revision } : {}) });
    return await readFile(out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function defaultBundle(revision = 'test-rev'): Promise<PolicyBundle> {
  const bytes = await compileBundle(POLICIES_DIR, revision);
  return parseBundle(bytes, { maxBytes: 32 * 1024 * 1024, verification: { required: false, keys: [], scope: undefined }, entrypoint: ENTRYPOINT, source: 'test' });
}

/** An AuditPort that keeps what it is given (the real audit/ is another area's). */
export function recordingAudit(): AuditPort & { events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return { events, record: (e) => events.push(e) };
}

export const OPERATOR: Principal = Object.freeze({ id: 'alice', auth: 'jwt', issuer: 'https://idp', roles: ['operator'], scopes: [], claims: {} });
export const ADMIN: Principal = Object.freeze({ id: 'root', auth: 'jwt', issuer: 'https://idp', roles: ['admin'], scopes: [], claims: {} });
export { ANONYMOUS_VIEWER };

export function connection(principal: Principal = ANONYMOUS_VIEWER, upstream = 'everything', transport: TransportName = 'streamable-http'): ConnectionInfo {
  return { transport, upstream, clientIp: '127.0.0.1', userAgent: 'test', protocolVersion: '2025-11-25', sessionId: 's1', principal };
}

/** A message context as a transport would build it (real summarise). */
export function context(message: JsonRpcMessage, options: { direction?: Direction; connection?: ConnectionInfo; request?: MessageContext } = {}): MessageContext {
  return {
    decisionId: randomUUID(),
    direction: options.direction ?? 'to_server',
    connection: options.connection ?? connection(),
    receivedAt: performance.now(),
    message,
    raw: Buffer.from(JSON.stringify(message)),
    summary: summarise(message, options.request?.summary.method),
    request: options.request,
    notes: new Map(),
  };
}

export function call(name: unknown, args: unknown = {}, id = 1): JsonRpcMessage {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } } as JsonRpcMessage;
}

/** The 13 tools of server-everything as it lists them (names and the annotations that matter). */
export const EVERYTHING_TOOLS = [
  { name: 'echo', description: 'Echoes back the input string', inputSchema: { type: 'object', properties: { message: { type: 'string' } } }, annotations: { readOnlyHint: true } },
  { name: 'get-sum', description: 'Returns the sum of two numbers', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-env', description: 'Returns all environment variables', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-tiny-image', description: 'Returns a tiny image', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'trigger-long-running-operation', description: 'Long running', inputSchema: { type: 'object' } },
  { name: 'toggle-simulated-logging', description: 'Toggles logging', inputSchema: { type: 'object' }, annotations: { readOnlyHint: false } },
  { name: 'gzip-file-as-resource', description: 'Compresses', inputSchema: { type: 'object' }, annotations: { destructiveHint: false } },
];
