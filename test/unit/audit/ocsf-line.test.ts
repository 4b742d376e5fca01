import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ExchangeFacts } from '../../../src/audit/audit-facts.ts';
import { canonicalJson } from '../../../src/audit/canonical-json.ts';
import { headerOf, ocsfLine, unlinkedEvent, type OcsfEvent } from '../../../src/audit/ocsf-event.ts';
import { buildApiActivitySchema } from './ocsf-schema.ts';

/**
 * The OCSF line is written directly as canonical JSON (ocsf-event.ts), so nothing but these tests
 * checks that its members are in canonical order, that absent facts leave no member behind, and
 * that every string is escaped. Facts are drawn at random, with the awkward values on purpose.
 */
const AWKWARD = ['', 'a', 'tools/call', 'quote " and \\ backslash', 'line\nbreak\ttab', 'ctl \u0000\u001f', 'ünïcödé \u2028\u2029', 'lone \ud800 surrogate', '</script>', '{"json":"inside"}'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomFacts(r: () => number): ExchangeFacts {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const maybe = <T>(v: T): T | undefined => (r() < 0.5 ? v : undefined);
  const security = r() < 0.2;
  return {
    source: security ? 'security' : 'exchange',
    eventCode: security ? pick(['authn.failed', 'session.binding_refused', 'policy.bundle_loaded']) : pick(['mcp.exchange', 'mcp.message']),
    direction: maybe(pick(['to_server', 'to_client'] as const)),
    messageKind: maybe(pick(['request', 'notification', 'response'] as const)),
    method: maybe(pick(['tools/call', 'initialize', 'logging/setLevel', 'notifications/progress', 'tools/list', ...AWKWARD])),
    jsonrpcId: pick([undefined, null, 7, 0, -1.5, 2 ** 53, 'id"1', 'abc']),
    tool: maybe(pick(AWKWARD)),
    resourceUri: maybe(pick(AWKWARD)),
    prompt: maybe(pick(AWKWARD)),
    argsDigest: maybe(`sha256:${'ab'.repeat(32)}`),
    args: pick([undefined, { b: 1, a: [1, { z: 2, y: null }], 10: 'x', 2: pick(AWKWARD), [pick(AWKWARD)]: true }, 'text', 5, null, []]),
    principal: pick([undefined, { id: pick(AWKWARD), issuer: maybe('https://idp.example'), auth: 'jwt', roles: pick([[], ['admin'], ['operator', pick(AWKWARD)]]), scopes: [], claims: {} }]),
    clientIp: maybe('127.0.0.1'),
    userAgent: maybe(pick(AWKWARD)),
    transport: maybe(pick(['streamable-http', 'sse', 'websocket'] as const)),
    upstream: maybe(pick(AWKWARD)),
    sessionId: maybe(pick(AWKWARD)),
    protocolVersion: maybe('2025-11-25'),
    decision: pick([undefined, { allow: r() < 0.5, rule: pick(AWKWARD), reason: pick(AWKWARD), bundleRevision: pick(AWKWARD), decisionId: 'd-1', redact: [], audit: { level: 'full' as const } }]),
    decisionId: maybe(`dec-${pick(AWKWARD)}`),
    startedAt: 1_795_297_729_045 + r(),
    durationMs: pick([undefined, 0, 1.6, 1234.5]),
    outcome: pick(['success', 'failure', 'unknown'] as const),
    wardenCode: maybe(pick(['WARDEN_ERR_POLICY_DENIED', 'WARDEN_ERR_AUTHN_INVALID_TOKEN', 'WARDEN_ERR_SESSION_LIMIT'])),
    refusedBy: maybe(pick(['policy', 'authn'])),
    jsonrpcErrorCode: maybe(pick([-32600, 0, 42])),
    message: pick(AWKWARD),
    statusDetail: maybe(pick(AWKWARD)),
    redaction: maybe({ counts: { EMAIL_ADDRESS: 2, CREDIT_CARD: 1 }, paths: ['result.content[0].text', pick(AWKWARD)] }),
    responseMissing: maybe(pick(['timeout', 'evicted', 'shutdown'] as const)),
    late: maybe(r() < 0.5),
    details: maybe({ z: 1, a: { c: pick(AWKWARD), b: [null, 'y'] }, 3: 'three' }),
  };
}

/** Where each present fact must show in the event: [fact, path, expected value]. */
function placesOf(f: ExchangeFacts): [string, string, unknown][] {
  const places: [string, string, unknown][] = [
    ['message', 'message', f.message],
    ['eventCode', 'metadata.event_code', f.eventCode],
    ['startedAt', 'time', Math.round(f.startedAt)],
    ['direction', 'unmapped.mcp.direction', f.direction],
    ['messageKind', 'unmapped.mcp.kind', f.messageKind],
    ['method', 'unmapped.mcp.method', f.method],
    ['jsonrpcId', 'unmapped.mcp.jsonrpc_id', f.jsonrpcId ?? undefined],
    ['tool', 'api.request.data.tool', f.tool],
    ['tool', 'unmapped.mcp.tool', f.tool],
    ['resourceUri', 'api.request.data.resource_uri', f.resourceUri],
    ['resourceUri', 'unmapped.mcp.resource_uri', f.resourceUri],
    ['prompt', 'api.request.data.prompt', f.prompt],
    ['prompt', 'unmapped.mcp.prompt', f.prompt],
    ['argsDigest', 'api.request.data.arguments_sha256', f.argsDigest],
    ['args', 'api.request.data.arguments', f.args],
    ['principal', 'actor.user.uid', f.principal?.id],
    ['principal', 'unmapped.auth.issuer', f.principal?.issuer],
    ['principal', 'unmapped.auth.method', f.principal?.auth],
    ['principal', 'unmapped.auth.roles', f.principal?.roles],
    ['clientIp', 'src_endpoint.ip', f.clientIp],
    ['userAgent', 'actor.app_name', f.userAgent],
    ['userAgent', 'http_request.user_agent', f.userAgent],
    ['transport', 'unmapped.mcp.transport', f.transport],
    ['upstream', 'dst_endpoint.name', f.upstream],
    ['upstream', 'api.service.name', f.upstream],
    ['upstream', 'unmapped.mcp.upstream', f.upstream],
    ['sessionId', 'message_context.uid', f.sessionId],
    ['sessionId', 'unmapped.mcp.session_id', f.sessionId],
    ['protocolVersion', 'api.version', f.protocolVersion],
    ['protocolVersion', 'unmapped.mcp.protocol_version', f.protocolVersion],
    ['decisionId', 'metadata.correlation_uid', f.decisionId],
    ['durationMs', 'duration', f.durationMs === undefined ? undefined : Math.round(f.durationMs)],
    ['wardenCode', 'status_code', f.wardenCode],
    ['statusDetail', 'status_detail', f.statusDetail],
    ['redaction', 'unmapped.redaction.counts', f.redaction?.counts],
    ['redaction', 'unmapped.redaction.paths', f.redaction?.paths],
    ['responseMissing', 'unmapped.mcp.response_missing', f.responseMissing],
    ['late', 'unmapped.mcp.late_response', f.late],
  ];
  const d = f.decision;
  if (d !== undefined) places.push(['decision', 'unmapped.decision.allow', d.allow], ['decision', 'unmapped.decision.rule', d.rule], ['decision', 'unmapped.decision.reason', d.reason], ['decision', 'unmapped.decision.bundle_revision', d.bundleRevision], ['decision', 'unmapped.decision.decision_id', d.decisionId]);
  else if (f.refusedBy !== undefined) places.push(['refusedBy', 'unmapped.decision.refused_by', f.refusedBy], ['refusedBy', 'unmapped.decision.code', f.wardenCode]);
  if (f.source === 'security') places.push(['details', 'unmapped.security.details', f.details], ['eventCode', 'unmapped.security.type', f.eventCode]);
  else if (f.messageKind !== 'notification') places.push(['jsonrpcErrorCode', 'api.response.code', f.jsonrpcErrorCode], ['statusDetail', 'api.response.error_message', f.outcome === 'failure' ? f.statusDetail : undefined]);
  if (f.wardenCode === undefined && f.jsonrpcErrorCode !== undefined) places.push(['jsonrpcErrorCode', 'status_code', String(f.jsonrpcErrorCode)]);
  return places.filter(([, , v]) => v !== undefined);
}

const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

describe('OCSF lines written directly as canonical JSON', () => {
  const { schema } = buildApiActivitySchema();
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

  it('5,000 random events: canonical JSON, valid OCSF, every present fact in its places, the spool link in place, the header as parsed', () => {
    const r = rng(20261121);
    for (let i = 0; i < 5000; i++) {
      const f = randomFacts(r);
      const link = { replica_id: i % 2 === 0 ? 'replica-a' : 'odd "replica"', seq: i + 1, prev_hash: 'cd'.repeat(32) };
      const line = ocsfLine(f, `uid-${i}`, 1_795_297_729_046.7, link);
      const event = JSON.parse(line) as OcsfEvent;
      assert.equal(canonicalJson(event), line, `not canonical: ${line}`);
      assert.ok(validate(event), `${JSON.stringify(validate.errors)} in ${line}`);
      assert.deepEqual(event.unmapped.chain, link);
      assert.equal(event.metadata.sequence, i + 1);
      assert.deepEqual(unlinkedEvent(f, `uid-${i}`, 1_795_297_729_046.7).header, headerOf(event));
      for (const [fact, path, value] of placesOf(f)) assert.deepEqual(at(event, path), value, `${fact} missing at ${path} in ${line}`);
    }
  });

  it('an event with only the required facts has no member for the absent ones', () => {
    const minimal = JSON.parse(ocsfLine({ source: 'exchange', eventCode: 'mcp.message', startedAt: 0, outcome: 'unknown', message: '' }, 'u', 0, { replica_id: 'r', seq: 1, prev_hash: '0'.repeat(64) })) as OcsfEvent;
    assert.ok(!('dst_endpoint' in minimal) && !('duration' in minimal) && !('http_request' in minimal) && !('message_context' in minimal) && !('status_code' in minimal));
    assert.deepEqual(minimal.unmapped, { chain: { prev_hash: '0'.repeat(64), replica_id: 'r', seq: 1 }, mcp: {} });
    assert.deepEqual(minimal.src_endpoint, { ip: '0.0.0.0', name: 'unknown' });
    assert.deepEqual((minimal.api as Record<string, unknown>).request, { uid: 'u' });
  });
});
