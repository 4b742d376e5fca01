import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, startEverything, startSupergatewayWs, type ClientTransportKind, type RunningPeer } from '../../helpers/peers.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { ALL_VALUES, PII, startPiiFixture, type PiiFixture } from './pii-fixture-server.ts';

/**
 * Redaction end to end: mcp-warden (default policy from policies/, redaction on) in front of
 * server-everything on every transport, and in front of a fixture server that puts PII in every
 * place a server can. What the real SDK client receives must not contain a planted value.
 */
const fake = (...parts: string[]) => parts.join('');
const PLANTED_ENV = {
  AWS_ACCESS_KEY_ID: fake('AKIA', 'IOSFODNN7EXAMPLE'),
  AWS_SECRET_ACCESS_KEY: fake('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'),
  GITHUB_TOKEN: fake('ghp_', 'aZ3kQ9xPm2Lb7RtYw5VnC8dEaZ3kQ9xPm2Lb'),
  DATABASE_URL: fake('postgres://app:', 'Pl4nted-Pw', '@db.internal:5432/app'),
  SUPPORT_EMAIL: 'ops.oncall@example.net',
  DB_PASSWORD: 'correct-horse-battery',
};
const SECRET_VALUES = [PLANTED_ENV.AWS_ACCESS_KEY_ID, PLANTED_ENV.AWS_SECRET_ACCESS_KEY, PLANTED_ENV.GITHUB_TOKEN, 'Pl4nted-Pw', PLANTED_ENV.SUPPORT_EMAIL, PLANTED_ENV.DB_PASSWORD];

function assertNoneOf(values: readonly string[], received: unknown, where: string): void {
  const text = JSON.stringify(received);
  for (const v of values) assert.ok(!text.includes(v), `${where}: ${JSON.stringify(v)} reached the client: ${text.slice(0, 400)}`);
  assert.match(text, /\[REDACTED:/, `${where}: nothing was masked`);
}

const everythingCases: { transport: ClientTransportKind; path: string; start: () => Promise<RunningPeer> }[] = [
  { transport: 'streamable-http', path: '/mcp', start: () => startEverything('streamableHttp', PLANTED_ENV) },
  { transport: 'sse', path: '/sse', start: () => startEverything('sse', PLANTED_ENV) },
  { transport: 'websocket', path: '/ws', start: () => startSupergatewayWs(PLANTED_ENV) },
];

for (const { transport, path, start } of everythingCases) {
  describe(`redaction end to end: server-everything (${transport})`, () => {
    let upstream: RunningPeer;
    let warden: TestWarden;
    let client: Client;

    before(async () => {
      upstream = await start();
      warden = await startTestWarden({
        upstreams: [{ name: 'everything', url: upstream.url, transport, path }],
        // get-env is denied by default; this test allows it so that redaction is what protects the secrets
        policy: { bundle: 'policies/', data: { tools: { 'get-env': 'read', echo: 'read', 'get-sum': 'read' } } },
        redaction: { enabled: true },
      });
      const url = transport === 'websocket' ? warden.url(path).replace(/^http/, 'ws') : warden.url(path);
      client = await connectClient(url, transport);
    });
    after(async () => {
      await client?.close();
      await warden?.close();
      await upstream?.close();
    });

    it('get-env: secrets planted in the server environment are masked', async () => {
      const result = await client.callTool({ name: 'get-env', arguments: {} });
      assertNoneOf(SECRET_VALUES, result, 'get-env');
      const text = JSON.stringify(result);
      for (const t of ['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'GITHUB_TOKEN', 'CONNECTION_STRING_PASSWORD', 'EMAIL_ADDRESS', 'PASSWORD_ASSIGNMENT']) assert.match(text, new RegExp(`REDACTED:${t}`), t);
      assert.match(text, /postgres:\/\/app:\[REDACTED:CONNECTION_STRING_PASSWORD\]@db\.internal/, 'only the password goes');
    });

    it('echo: planted PII is masked, the rest of the text is intact', async () => {
      const message = `card ${PII.card}, mail ${PII.email}, ssn ${PII.ssn}`;
      const result = await client.callTool({ name: 'echo', arguments: { message } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: card [REDACTED:CREDIT_CARD], mail [REDACTED:EMAIL_ADDRESS], ssn [REDACTED:US_SSN]' }]);
    });

    it('a result without PII arrives unchanged', async () => {
      const result = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'The sum of 2 and 40 is 42.' }]);
    });
  });
}

describe('redaction end to end: a fixture server with PII in every place', () => {
  let fixture: PiiFixture;
  let warden: TestWarden;
  let client: Client;
  const sampled: unknown[] = [];
  const logs: unknown[] = [];

  before(async () => {
    fixture = await startPiiFixture();
    warden = await startTestWarden({
      upstreams: [{ name: 'fixture', url: fixture.url, transport: 'streamable-http', path: '/mcp' }],
      policy: { bundle: 'policies/', data: { tools: { 'pii-*': 'read' }, resources: ['mem://*'], prompts: ['customer-*'], server_requests: { 'sampling/createMessage': 'allow' } } },
      redaction: { enabled: true },
    });
    client = await connectClient(warden.url('/mcp'), 'streamable-http', {
      capabilities: { sampling: {} },
      setup: (c) => {
        c.setRequestHandler(CreateMessageRequestSchema, async (request) => {
          sampled.push(request.params);
          return { role: 'assistant', model: 'test', content: { type: 'text', text: 'ok' } };
        });
        c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
      },
    });
  });
  after(async () => {
    await client?.close();
    await warden?.close();
    await fixture?.close();
  });

  it('tool result: text, structuredContent, embedded resource, and the notification sent before it', async () => {
    const result = await client.callTool({ name: 'pii-everywhere', arguments: {} });
    assertNoneOf(ALL_VALUES, result, 'tool result');
    assert.deepEqual(result.structuredContent, { email: '[REDACTED:EMAIL_ADDRESS]', card: '[REDACTED:CREDIT_CARD]', nested: { ssn: '[REDACTED:US_SSN]' } });
    assert.equal(logs.length, 1);
    assertNoneOf(ALL_VALUES, logs, 'notifications/message');
  });

  it('resources/read contents and prompts/get messages', async () => {
    assertNoneOf(ALL_VALUES, await client.readResource({ uri: 'mem://customer' }), 'resources/read');
    assertNoneOf(ALL_VALUES, await client.getPrompt({ name: 'customer-prompt' }), 'prompts/get');
  });

  it('error message and error.data', async () => {
    const err = await client.callTool({ name: 'pii-error', arguments: {} }).then(
      (r) => r,
      (e: unknown) => e,
    );
    const seen = err instanceof Error ? { message: err.message, data: (err as { data?: unknown }).data } : err;
    assertNoneOf(ALL_VALUES, seen, 'error');
  });

  it('server→client sampling/createMessage request', async () => {
    const result = await client.callTool({ name: 'pii-sampling', arguments: {} });
    assert.equal(sampled.length, 1, JSON.stringify(result));
    assertNoneOf(ALL_VALUES, sampled, 'sampling/createMessage');
  });

  it('the result streamed as SSE, as raw bytes on the wire', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const init = await fetch(warden.url('/mcp'), {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      signal: AbortSignal.timeout(10_000),
    });
    const sid = init.headers.get('mcp-session-id');
    await init.text();
    assert.ok(sid);
    const h = { ...headers, 'mcp-session-id': sid };
    await (await fetch(warden.url('/mcp'), { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), signal: AbortSignal.timeout(10_000) })).text();
    const res = await fetch(warden.url('/mcp'), {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'pii-everywhere', arguments: {} } }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const body = await res.text();
    assert.match(body, /^data: /m);
    for (const v of ALL_VALUES) assert.ok(!body.includes(v), `${v} in the SSE stream`);
    assert.match(body, /\[REDACTED:CREDIT_CARD\]/);
    await fetch(warden.url('/mcp'), { method: 'DELETE', headers: h, signal: AbortSignal.timeout(5_000) }).then((r) => r.text()).catch(() => undefined);
  });
});

describe('redaction end to end: block and per-principal exemptions from policy data', () => {
  let fixture: PiiFixture;

  before(async () => {
    fixture = await startPiiFixture();
  });
  after(async () => {
    await fixture?.close();
  });

  it('block: the response is replaced by the uniform error', async () => {
    const warden = await startTestWarden({
      upstreams: [{ name: 'fixture', url: fixture.url, transport: 'streamable-http', path: '/mcp' }],
      policy: { bundle: 'policies/', data: { tools: { 'pii-*': 'read' }, resources: ['mem://*'], prompts: ['customer-*'], server_requests: { 'sampling/createMessage': 'allow' } } },
      redaction: { actions: { CREDIT_CARD: 'block' } },
    });
    const client = await connectClient(warden.url('/mcp'), 'streamable-http');
    try {
      await assert.rejects(client.callTool({ name: 'pii-everywhere', arguments: {} }), (err: unknown) => {
        assert.equal((err as { code?: number }).code, -32004);
        assert.match(String((err as Error).message), /Response withheld/);
        assert.ok(!JSON.stringify(err).includes(PII.card));
        return true;
      });
    } finally {
      await client.close();
      await warden.close();
    }
  });

  it('a type the policy exempts for this principal passes through; the others are still masked', async () => {
    const warden = await startTestWarden({
      upstreams: [{ name: 'fixture', url: fixture.url, transport: 'streamable-http', path: '/mcp' }],
      policy: { bundle: 'policies/', data: { tools: { 'pii-*': 'read' }, resources: ['mem://*'], prompts: ['customer-*'], redaction: { exempt: [{ roles: ['viewer'], types: ['EMAIL_ADDRESS'] }] } } },
      redaction: { enabled: true },
    });
    const client = await connectClient(warden.url('/mcp'), 'streamable-http');
    try {
      const text = JSON.stringify(await client.callTool({ name: 'pii-everywhere', arguments: {} }));
      assert.ok(text.includes(PII.email), 'the exempt type is visible');
      assert.ok(!text.includes(PII.card) && !text.includes(PII.ssn), 'the other types are still masked');
    } finally {
      await client.close();
      await warden.close();
    }
  });
});
