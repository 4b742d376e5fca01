import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { canonicalJson } from '../../../src/audit/canonical-json.ts';
import type { ExchangeFacts } from '../../../src/audit/audit-facts.ts';
import { ExchangeTracker } from '../../../src/audit/exchange-tracker.ts';
import type { OcsfEvent } from '../../../src/audit/ocsf-event.ts';
import { SecurityEventPort } from '../../../src/audit/security-events.ts';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { DECISION_NOTE } from '../../../src/pipeline/decision.ts';
import { PASS, reject, type Stage } from '../../../src/pipeline/stage.ts';
import { ALICE, connection, ctxFor, decision } from './contexts.ts';
import { buildApiActivitySchema } from './ocsf-schema.ts';
import { toOcsf } from './spool-helpers.ts';

const SECRET = 'hunter2-super-secret-value';

/** A policy stage that allows `echo` and denies the rest, and a redaction stage that leaves evidence. */
const policy: Stage = {
  name: 'policy',
  directions: ['to_server'],
  process: (ctx) => {
    const allow = ctx.summary.tool !== 'get-env';
    ctx.notes.set(DECISION_NOTE, decision({ allow, rule: allow ? 'tools.read' : 'tools.deny', reason: allow ? 'read tool' : 'tool denied', decisionId: ctx.decisionId }));
    return allow ? PASS : reject(new WardenError('WARDEN_ERR_POLICY_DENIED', { detail: 'get-env is denied' }));
  },
};
const redact: Stage = {
  name: 'redact',
  directions: ['to_client'],
  process: (ctx) => {
    if (ctx.summary.kind === 'response') ctx.notes.set('redact.evidence', { counts: { EMAIL_ADDRESS: 2, CREDIT_CARD: 1 }, paths: ['result.content[0].text'] });
    return PASS;
  },
};

describe('audit events (OCSF 1.8.0 API Activity)', () => {
  const events: OcsfEvent[] = [];
  const facts: ExchangeFacts[] = [];
  let tracker: ExchangeTracker;
  let pipeline: Pipeline;
  // Validation: a JSON Schema built from the OCSF dictionary, class and object files (see ocsf-schema.ts).
  const { schema, missingObjects } = buildApiActivitySchema();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const assertValid = (e: unknown) => assert.ok(validate(e), JSON.stringify(validate.errors, null, 1));

  before(() => {
    tracker = new ExchangeTracker({
      arguments: 'digest',
      maxPending: 3,
      timeoutMs: 60,
      emit: (f) => {
        facts.push(f);
        events.push(toOcsf(f, `uid-${events.length}`, Date.now()));
      },
      onError: (err) => assert.fail(String(err)),
    });
    pipeline = new Pipeline({ toServer: [policy, redact], toClient: [policy, redact] }, [tracker]);
  });
  after(() => tracker.close());

  it('the schema builder found the objects the class refers to (and knows which it lacks)', () => {
    assert.ok(schema.$defs.actor && schema.$defs.api && schema.$defs.network_endpoint && schema.$defs.metadata && schema.$defs.message_context);
    assert.ok(missingObjects.has('session'), 'session object is not in the shared files; events must not use actor.session');
  });

  it('a forwarded tools/call and its response are ONE event with who/what/target/decision/result/timing', async () => {
    const conn = connection();
    const args = { text: SECRET, b: 2, a: { z: 1, y: [1, 'x'] } };
    const req = ctxFor({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: args } }, 'to_server', conn);
    const before = events.length;
    assert.equal((await pipeline.run(req)).action, 'forward');
    assert.equal(events.length, before, 'no event until the response');
    const res = ctxFor({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'ok' }] } }, 'to_client', conn, req);
    await pipeline.run(res);
    assert.equal(events.length, before + 1);
    const e = events.at(-1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assertValid(e);
    assert.equal(e.class_uid, 6003);
    assert.equal(e.type_uid, 600300 + e.activity_id);
    assert.equal(e.actor.user.uid, 'alice');
    assert.equal(e.unmapped.auth.method, 'jwt');
    assert.equal(e.src_endpoint.ip, '127.0.0.1');
    assert.equal(e.http_request.user_agent, 'test-agent/1.0');
    assert.equal(e.api.operation, 'tools/call');
    assert.equal(e.api.request.data.tool, 'echo');
    assert.equal(e.api.request.uid, '7');
    const expectedDigest = `sha256:${createHash('sha256').update('{"a":{"y":[1,"x"],"z":1},"b":2,"text":"hunter2-super-secret-value"}').digest('hex')}`;
    assert.equal(e.api.request.data.arguments_sha256, expectedDigest);
    assert.equal(e.api.service.name, 'everything');
    assert.equal(e.dst_endpoint.name, 'everything');
    assert.deepEqual(
      { allow: e.unmapped.decision.allow, rule: e.unmapped.decision.rule, rev: e.unmapped.decision.bundle_revision, id: e.unmapped.decision.decision_id },
      { allow: true, rule: 'tools.read', rev: 'rev-42', id: req.decisionId },
    );
    assert.equal(e.status, 'Success');
    assert.deepEqual(e.unmapped.redaction.counts, { EMAIL_ADDRESS: 2, CREDIT_CARD: 1 });
    assert.equal(e.unmapped.redaction.total, 3);
    assert.equal(typeof e.duration, 'number');
    assert.ok(e.end_time >= e.start_time);
    assert.equal(e.message_context.uid, 'sess-123');
    assert.equal(e.unmapped.mcp.session_id, 'sess-123');
    const text = JSON.stringify(e);
    assert.ok(!text.includes(SECRET), 'argument values never appear');
    assert.ok(!text.includes('must-not-appear'), 'claims never appear');
  });

  it('a JSON-RPC error response is a failure with its code', async () => {
    const conn = connection();
    const req = ctxFor({ jsonrpc: '2.0', id: 'x1', method: 'resources/read', params: { uri: 'file:///etc/passwd' } }, 'to_server', conn);
    await pipeline.run(req);
    await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 'x1', error: { code: -32002, message: 'Resource not found' } }, 'to_client', conn, req));
    const e = events.at(-1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assertValid(e);
    assert.equal(e.status_id, 2);
    assert.equal(e.api.response.code, -32002);
    assert.equal(e.status_code, '-32002');
    assert.equal(e.api.request.data.resource_uri, 'file:///etc/passwd');
    assert.equal(e.activity_id, 2);
  });

  it('a refused request is an event by itself, with the stable code and the deny decision', async () => {
    const req = ctxFor({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'get-env', arguments: {} } }, 'to_server', connection());
    assert.equal((await pipeline.run(req)).action, 'reject');
    const e = events.at(-1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assertValid(e);
    assert.equal(e.status, 'Failure');
    assert.equal(e.status_code, 'WARDEN_ERR_POLICY_DENIED');
    assert.equal(e.unmapped.decision.allow, false);
    assert.equal(e.unmapped.decision.rule, 'tools.deny');
    assert.equal(e.severity_id, 3);
    assert.ok(!JSON.stringify(e).includes('get-env is denied'), 'the internal detail stays in logs');
  });

  it('notifications and server→client requests are events by themselves; a client answer to one is not', async () => {
    const conn = connection({ transport: 'websocket' });
    const n0 = events.length;
    await pipeline.run(ctxFor({ jsonrpc: '2.0', method: 'notifications/initialized' }, 'to_server', conn));
    const sreq = ctxFor({ jsonrpc: '2.0', id: 99, method: 'sampling/createMessage', params: { messages: [] } }, 'to_client', conn);
    await pipeline.run(sreq);
    await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 99, result: { content: { type: 'text', text: 'hi' } } }, 'to_server', conn, sreq));
    assert.equal(events.length, n0 + 2);
    for (const e of events.slice(n0)) assertValid(e);
    assert.equal((events[n0] as any).unmapped.mcp.kind, 'notification'); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal((events[n0 + 1] as any).unmapped.mcp.direction, 'to_client'); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('a request whose response never comes is audited after the timeout, marked as such', async () => {
    const req = ctxFor({ jsonrpc: '2.0', id: 'lost', method: 'tools/call', params: { name: 'echo', arguments: {} } }, 'to_server', connection());
    const n0 = events.length;
    await pipeline.run(req);
    for (let i = 0; i < 100 && events.length === n0; i++) await new Promise((r) => setTimeout(r, 20));
    const e = events.at(-1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(e.unmapped.mcp.response_missing, 'timeout');
    assert.equal(e.status_id, 0);
    assertValid(e);
    // The late response is still audited, as late.
    await pipeline.run(ctxFor({ jsonrpc: '2.0', id: 'lost', result: {} }, 'to_client', connection(), req));
    assert.equal((events.at(-1) as any).unmapped.mcp.late_response, true); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('the pending map is capped: the oldest unanswered request is audited when a new one pushes it out', async () => {
    const n0 = events.length;
    const conn = connection();
    for (let i = 0; i < 4; i++) await pipeline.run(ctxFor({ jsonrpc: '2.0', id: `cap-${i}`, method: 'tools/list' }, 'to_server', conn));
    assert.equal(events.length, n0 + 1);
    assert.equal((events.at(-1) as any).unmapped.mcp.response_missing, 'evicted'); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal((events.at(-1) as any).unmapped.mcp.jsonrpc_id, 'cap-0'); // eslint-disable-line @typescript-eslint/no-explicit-any
    tracker.flush();
    assert.equal(events.length, n0 + 4);
  });

  it('audit level none: nothing; metadata: no argument digest', async () => {
    const none: Stage = { name: 'policy', directions: ['to_server'], process: (ctx) => (ctx.notes.set(DECISION_NOTE, decision({ audit: { level: ctx.summary.tool === 'a' ? 'none' : 'metadata' } })), PASS) };
    const p = new Pipeline({ toServer: [none], toClient: [none] }, [tracker]);
    const n0 = events.length;
    await p.run(ctxFor({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'a', arguments: { x: 1 } } }, 'to_server', connection()));
    await p.run(ctxFor({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } }, 'to_server', connection()));
    assert.equal(events.length, n0 + 1, 'level none: no event');
    assert.equal((events.at(-1) as any).api.request.data, undefined); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal((events.at(-1) as any).api.operation, 'notifications/progress'); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('arguments: redacted includes the arguments with secrets replaced', () => {
    const got: ExchangeFacts[] = [];
    const t = new ExchangeTracker({ arguments: 'redacted', maxPending: 10, timeoutMs: 10_000, emit: (f) => void got.push(f), onError: () => {} });
    const req = ctxFor({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'login', arguments: { user: 'bob', password: SECRET, note: 'mail me at bob@example.com', n: 3 } } }, 'to_server', connection());
    t.onOutcome(req, { action: 'forward', message: req.message, mutated: false });
    t.flush();
    t.close();
    const e = toOcsf(got[0] as ExchangeFacts, 'u', Date.now()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assertValid(e);
    assert.deepEqual(e.api.request.data.arguments, { user: 'bob', password: '[REDACTED:SECRET]', note: '[REDACTED:EMAIL_ADDRESS]', n: 3 });
    assert.ok(!JSON.stringify(e).includes(SECRET));
  });

  it('security events through the AuditPort are valid OCSF too, details redacted', () => {
    const got: OcsfEvent[] = [];
    const port = new SecurityEventPort((f) => got.push(toOcsf(f, 'u', Date.now())), () => assert.fail());
    port.record({ type: 'authn.failure', outcome: 'failure', message: 'bad token', clientIp: '10.0.0.9', userAgent: 'curl/8', upstream: 'everything', code: 'WARDEN_ERR_AUTHN_REQUIRED', details: { token: 'eyJhbGciOi.eyJzdWIiOiJ4In0.sig', reason: 'expired' } });
    port.record({ type: 'session.binding_refused', outcome: 'failure', message: 'session of another principal', principal: ALICE, sessionId: 's-1', upstream: 'everything' });
    port.record({ type: 'policy.bundle_loaded', outcome: 'success', message: 'bundle rev-43 loaded', details: { revision: 'rev-43' } });
    for (const e of got) assertValid(e);
    const [a, b] = got as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(a?.metadata.event_code, 'authn.failure');
    assert.equal(a?.src_endpoint.ip, '10.0.0.9');
    assert.equal(a?.unmapped.security.details.token, '[REDACTED:SECRET]');
    assert.equal(b?.severity_id, 4);
  });

  it('the schema rejects what OCSF does not allow (so the checks above can fail)', () => {
    const e = structuredClone(events[0]) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(validate(e));
    assert.equal(validate({ ...e, activity_id: 7 }), false, 'activity_id outside the enum');
    assert.equal(validate({ ...e, actor: { ...e.actor, session: { uid: 'x' } } }), false, 'object not in the shared schema');
    assert.equal(validate({ ...e, time: 'yesterday' }), false, 'timestamp_t is a long');
    const noApiOp = structuredClone(e);
    delete noApiOp.api.operation;
    assert.equal(validate(noApiOp), false, 'api.operation is required');
    assert.equal(validate({ ...e, src_endpoint: { ip: 'not-an-ip' } }), false, 'ip_t pattern');
    assert.equal(validate({ ...e, bogus: 1 }), false, 'unknown attribute');
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] }), '{"a":[{"d":1}],"b":1}');
  });
});
