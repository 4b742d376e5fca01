import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { errorResponse, serialise } from '../../../src/jsonrpc/serialise.ts';
import { parseStrictJson } from '../../../src/jsonrpc/strict-json.ts';
import { toMessages } from '../../../src/jsonrpc/validate.ts';

describe('serialise / errorResponse', () => {
  it('errorResponse carries the catalogue code and message, never the detail', () => {
    const error = new WardenError('WARDEN_ERR_JSONRPC_DUPLICATE_KEY', { detail: 'duplicate key "secret-tool" at depth 3' });
    const response = errorResponse(7, error);
    assert.deepEqual(response, {
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32700, message: 'Parse error: duplicate object key', data: { warden_code: 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY' } },
    });
    assert.doesNotMatch(serialise(response), /secret-tool/);
  });

  it('errorResponse with a null id (the request could not be read) is a valid JSON-RPC message', () => {
    const text = serialise(errorResponse(null, new WardenError('WARDEN_ERR_JSONRPC_PARSE')));
    const { messages } = toMessages(parseStrictJson(Buffer.from(text), { maxDepth: 16 }), { allowBatch: false });
    assert.deepEqual(messages[0], { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: body is not valid JSON', data: { warden_code: 'WARDEN_ERR_JSONRPC_PARSE' } } });
  });

  it('serialise round-trips through the strict parser', () => {
    const message = { jsonrpc: '2.0' as const, id: 'x', method: 'tools/call', params: { name: 'é😀', arguments: { n: 1.5, list: [null, true] } } };
    assert.deepEqual(parseStrictJson(Buffer.from(serialise(message)), { maxDepth: 16 }), message);
  });

  it('a lone surrogate a stage put in a string comes out escaped, which strict peers refuse', () => {
    const text = serialise({ jsonrpc: '2.0', id: 1, result: { text: 'a\ud800b' } });
    assert.match(text, /\\ud800/);
    assert.throws(() => parseStrictJson(Buffer.from(text), { maxDepth: 16 }), (err: unknown) => err instanceof WardenError && err.code === 'WARDEN_ERR_JSONRPC_LONE_SURROGATE');
  });
});
