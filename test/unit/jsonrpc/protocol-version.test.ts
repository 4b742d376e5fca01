import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WardenError } from '../../../src/errors/warden-error.ts';
import type { JsonRpcMessage } from '../../../src/jsonrpc/message.ts';
import { allowsBatch, checkMcpHeaders, decodeHeaderValue, isKnownProtocolVersion, isStatelessEra, KNOWN_PROTOCOL_VERSIONS } from '../../../src/jsonrpc/protocol-version.ts';

const call = (name: unknown): JsonRpcMessage => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }) as JsonRpcMessage;
const b64 = (text: string): string => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

function assertMismatch(result: WardenError | undefined, header: 'Mcp-Method' | 'Mcp-Name'): void {
  assert.ok(result instanceof WardenError, 'expected a mismatch');
  assert.equal(result.code, 'WARDEN_ERR_HTTP_HEADER_MISMATCH');
  assert.equal(result.jsonrpcCode, -32020);
  assert.equal(result.httpStatus, 400);
  assert.deepEqual(result.toJsonRpcError().data, { header, warden_code: 'WARDEN_ERR_HTTP_HEADER_MISMATCH' });
}

describe('protocol versions', () => {
  it('knows the five revisions', () => {
    assert.deepEqual([...KNOWN_PROTOCOL_VERSIONS], ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28']);
    assert.ok(isKnownProtocolVersion('2025-06-18'));
    assert.ok(!isKnownProtocolVersion('2025-06-19'));
    assert.ok(!isKnownProtocolVersion(undefined));
  });

  it('batches only in 2025-03-26', () => {
    assert.deepEqual(
      KNOWN_PROTOCOL_VERSIONS.map((v) => allowsBatch(v)),
      [false, true, false, false, false],
    );
    assert.equal(allowsBatch(undefined), false);
    assert.equal(allowsBatch('garbage'), false);
  });

  it('stateless era from 2026-07-28 on, including later revisions; malformed is not', () => {
    assert.deepEqual(
      KNOWN_PROTOCOL_VERSIONS.map((v) => isStatelessEra(v)),
      [false, false, false, false, true],
    );
    assert.equal(isStatelessEra('2027-01-01'), true);
    assert.equal(isStatelessEra(undefined), false);
    assert.equal(isStatelessEra('9999'), false);
    assert.equal(isStatelessEra('latest'), false);
  });
});

describe('checkMcpHeaders (2026-07-28, SEP-2243)', () => {
  it('passes when Mcp-Method and Mcp-Name agree with the body', () => {
    assert.equal(checkMcpHeaders({ method: 'tools/call', name: 'echo' }, call('echo')), undefined);
    assert.equal(checkMcpHeaders({ method: 'resources/read', name: 'file:///a' }, { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'file:///a' } }), undefined);
    assert.equal(checkMcpHeaders({ method: 'prompts/get', name: 'p' }, { jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'p' } }), undefined);
    assert.equal(checkMcpHeaders({ method: 'tasks/get', name: 't1' }, { jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { taskId: 't1' } }), undefined);
    assert.equal(checkMcpHeaders({ method: 'tools/list', name: undefined }, { jsonrpc: '2.0', id: 1, method: 'tools/list' }), undefined);
  });

  it('strips optional whitespace around header values', () => {
    assert.equal(checkMcpHeaders({ method: ' tools/call\t', name: '\techo ' }, call('echo')), undefined);
  });

  it('decodes the base64 sentinel form of Mcp-Name (non-ASCII names)', () => {
    assert.equal(checkMcpHeaders({ method: 'tools/call', name: b64('café-tool') }, call('café-tool')), undefined);
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: b64('other') }, call('café-tool')), 'Mcp-Name');
  });

  it('refuses a request without Mcp-Method', () => {
    assertMismatch(checkMcpHeaders({ method: undefined, name: 'echo' }, call('echo')), 'Mcp-Method');
  });

  it('refuses an Mcp-Method that names another method (case-sensitive)', () => {
    assertMismatch(checkMcpHeaders({ method: 'tools/list', name: 'echo' }, call('echo')), 'Mcp-Method');
    assertMismatch(checkMcpHeaders({ method: 'Tools/Call', name: 'echo' }, call('echo')), 'Mcp-Method');
  });

  it('refuses tools/call, resources/read, prompts/get without Mcp-Name', () => {
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: undefined }, call('echo')), 'Mcp-Name');
    assertMismatch(checkMcpHeaders({ method: 'resources/read', name: undefined }, { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'file:///a' } }), 'Mcp-Name');
    assertMismatch(checkMcpHeaders({ method: 'prompts/get', name: undefined }, { jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'p' } }), 'Mcp-Name');
  });

  it('refuses an Mcp-Name that disagrees with the body (the smuggling case)', () => {
    // An intermediary that routes or authorises on the header would see "echo"; the server runs "delete-all".
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: 'echo' }, call('delete-all')), 'Mcp-Name');
    assertMismatch(checkMcpHeaders({ method: 'resources/read', name: 'file:///public' }, { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'file:///etc/shadow' } }), 'Mcp-Name');
  });

  it('refuses an invalid base64 sentinel', () => {
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: '=?base64?not base64!?=' }, call('echo')), 'Mcp-Name');
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: `=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=` }, call('echo')), 'Mcp-Name');
    assert.equal(decodeHeaderValue('=?base64?Zm9v?='), 'foo');
    assert.equal(decodeHeaderValue('=?base64?Zm9?='), undefined, 'non-canonical base64');
    assert.equal(decodeHeaderValue('plain'), 'plain');
  });

  it('a non-string body name needs no Mcp-Name (summary leaves the tool undefined, policy denies)', () => {
    assert.equal(checkMcpHeaders({ method: 'tools/call', name: undefined }, call(42)), undefined);
  });

  it('notifications may omit Mcp-Method, but a present one must agree', () => {
    const note: JsonRpcMessage = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } };
    assert.equal(checkMcpHeaders({ method: undefined, name: undefined }, note), undefined);
    assert.equal(checkMcpHeaders({ method: 'notifications/cancelled', name: undefined }, note), undefined);
    assertMismatch(checkMcpHeaders({ method: 'tools/call', name: undefined }, note), 'Mcp-Method');
  });

  it('responses carry no such headers and are not checked', () => {
    assert.equal(checkMcpHeaders({ method: undefined, name: undefined }, { jsonrpc: '2.0', id: 1, result: {} }), undefined);
  });

  it('the error detail (logs) may name the tool; the client-visible data does not', () => {
    const result = checkMcpHeaders({ method: 'tools/call', name: 'echo' }, call('hidden-admin-tool'));
    assert.ok(result);
    assert.doesNotMatch(JSON.stringify(result.toJsonRpcError()), /hidden-admin-tool/);
  });
});
