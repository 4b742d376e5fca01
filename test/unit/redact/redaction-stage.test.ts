import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonRpcMessage } from '../../../src/jsonrpc/message.ts';
import { DECISION_NOTE, type Decision } from '../../../src/pipeline/decision.ts';
import type { MessageContext } from '../../../src/pipeline/exchange-context.ts';
import { ANONYMOUS_VIEWER } from '../../../src/pipeline/principal.ts';
import type { StageResult } from '../../../src/pipeline/stage.ts';
import { metricsRegistry } from '../../../src/metrics/registry.ts';
import { redactionConfigSchema, type RedactionConfig } from '../../../src/redact/redaction-config.ts';
import { REDACT_EVIDENCE_NOTE, createRedactionStage } from '../../../src/redact/redaction-stage.ts';
import type { RedactionEvidence } from '../../../src/redact/message-redactor.ts';

const EMAIL = 'alice.smith@example.org';
const CARD = '4111 1111 1111 1111';
const SSN = '078-05-1121';

function config(input: Record<string, unknown> = {}): RedactionConfig {
  return redactionConfigSchema.parse(input);
}

function context(message: JsonRpcMessage, options: { direction?: 'to_client' | 'to_server'; decision?: Partial<Decision> } = {}): MessageContext {
  const request: MessageContext | undefined =
    options.decision === undefined
      ? undefined
      : ({ notes: new Map([[DECISION_NOTE, { allow: true, reason: '', rule: 'r', redact: [], audit: { level: 'full' }, decisionId: 'd', bundleRevision: 'b', ...options.decision }]]) } as unknown as MessageContext);
  return {
    decisionId: 'd-1',
    direction: options.direction ?? 'to_client',
    connection: { transport: 'streamable-http', upstream: 'u', clientIp: '127.0.0.1', userAgent: undefined, protocolVersion: undefined, sessionId: undefined, principal: ANONYMOUS_VIEWER },
    receivedAt: 0,
    message,
    raw: Buffer.from(JSON.stringify(message)),
    summary: { kind: 'response', method: undefined, id: 1, tool: undefined, resourceUri: undefined, prompt: undefined, isError: false } as unknown as MessageContext['summary'],
    request,
    notes: new Map(),
  };
}

function result(content: unknown[], extra: Record<string, unknown> = {}): JsonRpcMessage {
  return { jsonrpc: '2.0', id: 1, result: { content, ...extra } };
}

function mutated(r: StageResult): JsonRpcMessage {
  assert.equal(r.action, 'mutate');
  return (r as { message: JsonRpcMessage }).message;
}

function evidence(ctx: MessageContext): RedactionEvidence {
  return ctx.notes.get(REDACT_EVIDENCE_NOTE) as RedactionEvidence;
}

describe('redaction stage', () => {
  it('masks every built-in type when there is no decision, and records counts and paths, never values', async () => {
    const stage = createRedactionStage(config());
    assert.deepEqual(stage.directions, ['to_client']);
    const ctx = context(result([{ type: 'text', text: `mail ${EMAIL}, card ${CARD}` }], { structuredContent: { ssn: SSN } }));
    const out = mutated(await stage.process(ctx));
    assert.deepEqual(out, result([{ type: 'text', text: 'mail [REDACTED:EMAIL_ADDRESS], card [REDACTED:CREDIT_CARD]' }], { structuredContent: { ssn: '[REDACTED:US_SSN]' } }));
    const ev = evidence(ctx);
    assert.deepEqual(ev.counts, { EMAIL_ADDRESS: 1, CREDIT_CARD: 1, US_SSN: 1 });
    assert.deepEqual(ev.paths, ['$.result.content[0].text', '$.result.structuredContent.ssn']);
    const serialised = JSON.stringify(ev);
    for (const v of [EMAIL, CARD, SSN]) assert.ok(!serialised.includes(v));
  });

  it('passes (keeping the exact bytes) when nothing is found, and leaves the input object alone', async () => {
    const stage = createRedactionStage(config());
    const message = result([{ type: 'text', text: 'build 1.2.3 finished in 1234 ms at 2024-01-15T10:20:30Z' }]);
    const copy = structuredClone(message);
    const ctx = context(message);
    assert.deepEqual(await stage.process(ctx), { action: 'pass' });
    assert.equal(ctx.notes.has(REDACT_EVIDENCE_NOTE), false);
    const withPii = result([{ type: 'text', text: EMAIL }]);
    const before = structuredClone(withPii);
    await stage.process(context(withPii));
    assert.deepEqual(withPii, before, 'copy on write: the parsed message is not modified in place');
    assert.deepEqual(message, copy);
  });

  it('redacts only the types the decision names', async () => {
    const stage = createRedactionStage(config());
    const msg = result([{ type: 'text', text: `${EMAIL} ${CARD}` }]);
    const out = mutated(await stage.process(context(msg, { decision: { redact: ['CREDIT_CARD'] } })));
    assert.equal((out as { result: { content: { text: string }[] } }).result.content[0]?.text, `${EMAIL} [REDACTED:CREDIT_CARD]`);
    assert.deepEqual(await stage.process(context(msg, { decision: { redact: [] } })), { action: 'pass' });
  });

  it('scans every place an upstream can put text: errors, resources, prompts, server requests, keys', async () => {
    const stage = createRedactionStage(config());
    const cases: [JsonRpcMessage, string][] = [
      [{ jsonrpc: '2.0', id: 1, error: { code: -32000, message: `no user ${EMAIL}`, data: { detail: [`card ${CARD}`] } } }, 'error'],
      [{ jsonrpc: '2.0', id: 1, result: { contents: [{ uri: 'file:///a', mimeType: 'text/plain', text: EMAIL }] } }, 'resources/read'],
      [{ jsonrpc: '2.0', id: 1, result: { messages: [{ role: 'user', content: { type: 'text', text: EMAIL } }] } }, 'prompts/get'],
      [{ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'resource', resource: { uri: 'x://y', text: EMAIL } }] } }, 'embedded resource'],
      [{ jsonrpc: '2.0', id: 9, method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: EMAIL } }], maxTokens: 10 } }, 'sampling'],
      [{ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { user: EMAIL } } }, 'notification'],
      [{ jsonrpc: '2.0', id: 1, result: { structuredContent: { [EMAIL]: { visits: 3 } } } }, 'object key'],
    ];
    for (const [message, where] of cases) {
      const out = JSON.stringify(mutated(await stage.process(context(message))));
      assert.ok(!out.includes(EMAIL) && !out.includes(CARD), `${where}: ${out}`);
      assert.ok(out.includes('[REDACTED:'), where);
    }
  });

  it('leaves base64 blobs alone unless scan_blobs is on', async () => {
    const b64 = Buffer.from(`contact ${EMAIL}`).toString('base64');
    const msg = result([{ type: 'image', data: b64, mimeType: 'image/png' }, { type: 'resource', resource: { uri: 'x://b', blob: b64 } }]);
    assert.deepEqual(await createRedactionStage(config()).process(context(msg)), { action: 'pass' });
    const out = mutated(await createRedactionStage(config({ scan_blobs: true })).process(context(msg))) as { result: { content: { data?: string; resource?: { blob: string } }[] } };
    assert.equal(Buffer.from(out.result.content[0]?.data as string, 'base64').toString(), 'contact [REDACTED:EMAIL_ADDRESS]');
    assert.equal(Buffer.from(out.result.content[1]?.resource?.blob as string, 'base64').toString(), 'contact [REDACTED:EMAIL_ADDRESS]');
  });

  it('partial keeps the last 4, hash is keyed and stable, drop removes the item, block rejects', async () => {
    const key = 'k'.repeat(32);
    const stage = createRedactionStage(config({ actions: { CREDIT_CARD: 'partial', EMAIL_ADDRESS: 'hash', US_SSN: 'drop' }, hash_key: key }));
    const msg = result([{ type: 'text', text: `card ${CARD}` }, { type: 'text', text: `ssn ${SSN}` }, { type: 'text', text: `mail ${EMAIL}` }]);
    const out = mutated(await stage.process(context(msg))) as { result: { content: { text: string }[] } };
    assert.equal(out.result.content.length, 2, 'the SSN item is dropped');
    assert.equal(out.result.content[0]?.text, 'card [REDACTED:CREDIT_CARD:…1111]');
    const hashed = out.result.content[1]?.text as string;
    assert.match(hashed, /^mail \[HASH:EMAIL_ADDRESS:[0-9a-f]{16}\]$/);
    const again = mutated(await stage.process(context(result([{ type: 'text', text: EMAIL }])))) as { result: { content: { text: string }[] } };
    assert.equal(again.result.content[0]?.text, hashed.slice(5), 'stable across messages');
    const otherKey = createRedactionStage(config({ actions: { EMAIL_ADDRESS: 'hash' }, hash_key: 'z'.repeat(32) }));
    const other = mutated(await otherKey.process(context(result([{ type: 'text', text: EMAIL }])))) as { result: { content: { text: string }[] } };
    assert.notEqual(other.result.content[0]?.text, hashed.slice(5), 'keyed');

    const blocking = createRedactionStage(config({ actions: { PRIVATE_KEY: 'block' } }));
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const ctx = context(result([{ type: 'text', text: pem }]));
    const r = await blocking.process(ctx);
    assert.equal(r.action, 'reject');
    assert.equal((r as { error: { code: string } }).error.code, 'WARDEN_ERR_REDACT_BLOCKED');
    assert.deepEqual(evidence(ctx).counts, { PRIVATE_KEY: 1 });
  });

  it('drop outside a content item (an error message) masks instead, so nothing leaks', async () => {
    const stage = createRedactionStage(config({ default_action: 'drop' }));
    const out = mutated(await stage.process(context({ jsonrpc: '2.0', id: 1, error: { code: 1, message: `x ${EMAIL}` } })));
    assert.deepEqual(out, { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x [REDACTED:EMAIL_ADDRESS]' } });
  });

  it('scans client→server arguments only when scan_arguments is on', async () => {
    assert.deepEqual(createRedactionStage(config({ scan_arguments: true })).directions, ['to_client', 'to_server']);
    const stage = createRedactionStage(config({ scan_arguments: true }));
    const call: JsonRpcMessage = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { message: `my card is ${CARD}` } } };
    const out = mutated(await stage.process(context(call, { direction: 'to_server' })));
    assert.deepEqual(out, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { message: 'my card is [REDACTED:CREDIT_CARD]' } } });
    assert.deepEqual(createRedactionStage(config({ enabled: false })).directions, []);
  });

  it('redacts card numbers sent as JSON numbers', async () => {
    const out = mutated(await createRedactionStage(config()).process(context({ jsonrpc: '2.0', id: 1, result: { structuredContent: { pan: 4111111111111111, n: 42 } } })));
    assert.deepEqual(out, { jsonrpc: '2.0', id: 1, result: { structuredContent: { pan: '[REDACTED:CREDIT_CARD]', n: 42 } } });
  });

  it('custom RE2 patterns from the config', async () => {
    const stage = createRedactionStage(config({ custom: [{ type: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }] }));
    const ctx = context(result([{ type: 'text', text: 'owner EMP-004211' }]));
    const out = mutated(await stage.process(ctx)) as { result: { content: { text: string }[] } };
    assert.equal(out.result.content[0]?.text, 'owner [REDACTED:EMPLOYEE_ID]');
  });

  it('counts redactions by type in the metrics registry', async () => {
    await createRedactionStage(config()).process(context(result([{ type: 'text', text: `${EMAIL} ${EMAIL}` }])));
    const text = await metricsRegistry.metrics();
    assert.match(text, /mcp_warden_redactions_total\{entity_type="EMAIL_ADDRESS",action="mask"\} \d+/);
    assert.match(text, /mcp_warden_redact_scanned_bytes_total\{direction="to_client"\} [1-9]/);
  });
});
