import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { JsonRpcMessage } from '../../../src/jsonrpc/message.ts';
import { summarise } from '../../../src/jsonrpc/summarise.ts';
import { DECISION_NOTE, type Decision } from '../../../src/pipeline/decision.ts';
import type { ConnectionInfo, Direction, MessageContext } from '../../../src/pipeline/exchange-context.ts';
import type { Principal } from '../../../src/pipeline/principal.ts';

/** Message contexts as a transport builds them (real summarise, real notes), for driving the real Pipeline. */
export const ALICE: Principal = Object.freeze({ id: 'alice', issuer: 'https://idp.example', auth: 'jwt', roles: ['operator'], scopes: ['mcp:read'], claims: { secret_claim: 'must-not-appear' } });

export function connection(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return { transport: 'streamable-http', upstream: 'everything', clientIp: '127.0.0.1', userAgent: 'test-agent/1.0', protocolVersion: '2025-11-25', sessionId: 'sess-123', principal: ALICE, ...overrides };
}

export function ctxFor(message: JsonRpcMessage, direction: Direction, conn: ConnectionInfo, request?: MessageContext): MessageContext {
  return {
    decisionId: randomUUID(),
    direction,
    connection: conn,
    receivedAt: performance.now(),
    message,
    raw: Buffer.from(JSON.stringify(message)),
    summary: summarise(message, request?.summary.method),
    request,
    notes: new Map(),
  };
}

export function decision(overrides: Partial<Decision> = {}): Decision {
  return { allow: true, reason: 'read tool for role operator', rule: 'tools.read', redact: [], audit: { level: 'full' }, decisionId: randomUUID(), bundleRevision: 'rev-42', ...overrides };
}

export function withDecision(ctx: MessageContext, d: Decision): MessageContext {
  ctx.notes.set(DECISION_NOTE, d);
  return ctx;
}
