import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../../src/policy/canonical-json.ts';
import { globMatch } from '../../../src/policy/glob.ts';
import { buildInput, buildListItemInput, modeInput } from '../../../src/policy/input-builder.ts';
import { policyConfigSchema } from '../../../src/policy/policy-config.ts';
import { toolFingerprint } from '../../../src/policy/tool-catalogue.ts';
import { ToolClassifier } from '../../../src/policy/tool-classifier.ts';
import { canonicalToolName } from '../../../src/policy/tool-name.ts';
import { OPERATOR, call, connection, context } from './policy-helpers.ts';

describe('tool classification', () => {
  const c = new ToolClassifier({
    tools: { '*': 'deny', echo: 'read', 'get-*': 'read', 'get-env': 'deny' },
    upstreams: { fs: { tools: { 'write_*': 'write', 'read_*': 'read', read_secret: 'write', 'x*': 'read', 'xy*': 'write' } } },
  });

  it('only readOnlyHint: true makes a tool read by itself; other hints are writes', () => {
    const plain = new ToolClassifier({});
    assert.equal(plain.classify('u', 't', { readOnlyHint: true }, 'approved'), 'read');
    for (const a of [{}, { readOnlyHint: false }, { readOnlyHint: 'true' }, { destructiveHint: false }, { readOnlyHint: 1 }, undefined, null])
      assert.equal(plain.classify('u', 't', a, 'approved'), 'write', JSON.stringify(a));
  });

  it('operator rules win over annotations; upstream rules win over global; exact beats glob; strictest glob wins', () => {
    assert.equal(c.operatorRule('everything', 'echo'), 'read');
    assert.equal(c.operatorRule('everything', 'get-sum'), 'deny'); // two globs at one level: the strictest
    assert.equal(c.operatorRule('everything', 'get-env'), 'deny');
    assert.equal(c.operatorRule('everything', 'other'), 'deny');
    assert.equal(c.operatorRule('fs', 'read_file'), 'read');
    assert.equal(c.operatorRule('fs', 'read_secret'), 'write');
    assert.equal(c.operatorRule('fs', 'xyz'), 'write');
    assert.equal(c.operatorRule('fs', 'echo'), 'read'); // falls through to the global level
    assert.equal(c.classify('fs', 'write_file', { readOnlyHint: true }, 'approved'), 'write');
  });

  it('a changed definition is unknown whatever the rules; an unlisted tool is unknown unless a rule classifies it', () => {
    assert.equal(c.classify('everything', 'echo', { readOnlyHint: true }, 'changed'), 'unknown');
    assert.equal(c.classify('everything', 'echo', undefined, 'unlisted'), 'read');
    assert.equal(new ToolClassifier({}).classify('u', 'echo', undefined, 'unlisted'), 'unknown');
  });
});

describe('names, globs, fingerprints', () => {
  it('folds case, width, invisible characters and look-alikes', () => {
    for (const n of ['GET-ENV', 'get-env ', '\tget-env', 'g\u0435t-env', 'ｇｅｔ－ｅｎｖ', 'get\u200b-env', 'get\u2010env', 'get-env\ufe0f', 'get\u00ad-env', '\u0261et-env'])
      assert.equal(canonicalToolName(n), 'get-env', JSON.stringify(n));
    assert.notEqual(canonicalToolName('get-envx'), 'get-env');
  });

  it('globs: * across slashes, ?, classes, alternatives; no regex injection', () => {
    assert.ok(globMatch('file:///srv/*', 'file:///srv/a/b.txt'));
    assert.ok(globMatch('get-?', 'get-x'));
    assert.ok(!globMatch('get-?', 'get-xy'));
    assert.ok(globMatch('{read,list}_*', 'list_dir'));
    assert.ok(globMatch('[ab]c', 'bc'));
    assert.ok(!globMatch('a.c', 'abc'));
    assert.ok(!globMatch('echo', 'echo2'));
    assert.ok(!globMatch('(a|b)', 'a'));
  });

  it('the fingerprint covers name, description, input schema and annotations, not key order', () => {
    const t = { name: 'echo', description: 'd', inputSchema: { type: 'object', properties: { a: {} } }, annotations: { readOnlyHint: true } };
    assert.equal(toolFingerprint(t), toolFingerprint({ annotations: { readOnlyHint: true }, inputSchema: { properties: { a: {} }, type: 'object' }, description: 'd', name: 'echo' }));
    for (const changed of [{ ...t, description: 'e' }, { ...t, inputSchema: {} }, { ...t, annotations: {} }, { ...t, name: 'echo2' }]) assert.notEqual(toolFingerprint(changed), toolFingerprint(t));
    assert.equal(canonicalJson({ b: 1, a: ['x', { d: null, c: '\u2028' }] }), '{"a":["x",{"c":"\\u2028","d":null}],"b":1}');
  });
});

describe('input document', () => {
  it('is the DESIGN.md input, built from the context alone', () => {
    const ctx = context(call('echo', { message: 'hi' }), { connection: connection(OPERATOR, 'everything', 'websocket') });
    const tool = { name: 'echo', canonical_name: 'echo', class: 'read' as const, annotations: {}, pinned: true, definition: 'approved' as const };
    const input = buildInput(ctx, tool, modeInput({ edit: true, expiresAt: Date.UTC(2030, 0, 1) }));
    assert.deepEqual(input, {
      principal: { id: 'alice', issuer: 'https://idp', auth: 'jwt', roles: ['operator'], scopes: [], claims: {} },
      request: { transport: 'websocket', protocol_version: '2025-11-25', session_id: 's1', client_ip: '127.0.0.1', user_agent: 'test', upstream: 'everything' },
      message: { direction: 'to_server', kind: 'request', method: 'tools/call', id: 1, params: { name: 'echo', arguments: { message: 'hi' } } },
      mode: { edit: true, edit_expires_at: '2030-01-01T00:00:00.000Z' },
      tool,
    });
    assert.deepEqual(buildInput(ctx, tool, modeInput({ edit: true, expiresAt: Date.UTC(2030, 0, 1) })), input, 'pure: same context, same input');
  });

  it('a response carries its request method and no result; a list item stands for its call', () => {
    const request = context({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
    const reply = context({ jsonrpc: '2.0', id: 4, result: { tools: [{ name: 'secret' }] } }, { direction: 'to_client', request });
    const input = buildInput(reply, undefined, modeInput({ edit: false, expiresAt: null }));
    assert.deepEqual(input.message, { direction: 'to_client', kind: 'response', method: 'tools/list', id: 4, params: null });
    const item = buildListItemInput(reply, 'tools/call', { name: 'secret' }, undefined, modeInput({ edit: false, expiresAt: null }));
    assert.equal(item.listing, true);
    assert.deepEqual(item.message, { direction: 'to_server', kind: 'request', method: 'tools/call', id: null, params: { name: 'secret' } });
  });
});

describe('policy input: notifications', () => {
  const mode = modeInput({ edit: false, expiresAt: null });
  const progress = { jsonrpc: '2.0' as const, method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(8000) } };

  it('a server→client notification carries its method but not its params, unless configured', () => {
    const ctx = context(progress, { direction: 'to_client' });
    assert.deepEqual(buildInput(ctx, undefined, mode).message, { direction: 'to_client', kind: 'notification', method: 'notifications/message', id: null, params: null });
    assert.deepEqual(buildInput(ctx, undefined, mode, { serverNotificationParams: true }).message.params, progress.params);
  });

  it('a client→server notification always carries its params (policy decides on them)', () => {
    const ctx = context({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } });
    assert.deepEqual(buildInput(ctx, undefined, mode).message.params, { requestId: 3 });
  });
});

describe('policy config', () => {
  it('has safe defaults and keeps the DESIGN.md keys', () => {
    const c = policyConfigSchema.parse({ bundle: 'policies/', data: { tools: { echo: 'read' } } });
    assert.equal(c.entrypoint, 'mcp_warden/decision');
    assert.equal(c.signing.required, false);
    assert.deepEqual(c.edit_mode, { default_minutes: 15, max_minutes: 60 });
    assert.equal(c.polling.allow_insecure_http, false);
  });

  it('refuses required signing without keys and a default window above the maximum', () => {
    assert.ok(!policyConfigSchema.safeParse({ bundle: 'b.tar.gz', signing: { required: true } }).success);
    assert.ok(!policyConfigSchema.safeParse({ bundle: 'b.tar.gz', edit_mode: { default_minutes: 90, max_minutes: 60 } }).success);
    assert.ok(!policyConfigSchema.safeParse({ bundle: 'b.tar.gz', signing: { keys: [{ id: 'k' }] } }).success);
    assert.ok(!policyConfigSchema.safeParse({ bundle: 'b.tar.gz', typo: 1 }).success);
  });
});

describe('policy.data of the default policy is validated at load', () => {
  it('names a misspelt key or an unknown verdict', () => {
    const r = policyConfigSchema.safeParse({ bundle: 'p/', data: { tools: { echo: 'reed' }, upstreams: { fs: { write_allowlst: [] } }, principals: { bob: { roles: ['root'] } } } });
    assert.ok(!r.success);
    const paths = r.error.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('data.tools.echo'), paths.join(' '));
    assert.ok(paths.includes('data.upstreams.fs'), paths.join(' '));
    assert.ok(paths.some((p) => p.startsWith('data.principals.bob.roles')), paths.join(' '));
  });

  it('accepts the documented shape, and leaves a custom policy data unchecked', () => {
    const documented = {
      tools: { 'get-env': 'deny', 'danger-*': 'deny' },
      upstreams: { fs: { tools: { '*': 'deny', read_file: 'read' }, write_allowlist: ['write_file'], arguments: { 'read_*': { path: { prefix: ['/srv/'], max_length: 10 } } }, resources: ['file:///srv/*'], prompts: ['p-*'], server_requests: { 'roots/list': 'allow' } } },
      role_map: { sre: 'operator', admins: ['admin'] },
      role_claims: ['groups'],
      principals: { alice: { roles: ['operator'], tools: ['deploy'] } },
      redaction: { exempt: [{ roles: ['admin'], types: '*' }, { tools: ['get-sum'], types: ['CREDIT_CARD'] }] },
      audit: { level: 'metadata' },
      edit_mode: false,
    };
    assert.ok(policyConfigSchema.safeParse({ bundle: 'p/', data: documented }).success);
    assert.ok(policyConfigSchema.safeParse({ bundle: 'p/', entrypoint: 'acme/decision', data: { anything: [1, 2] } }).success);
  });
});
