import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../../src/errors/catalogue.ts';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { messageKind } from '../../../src/jsonrpc/message.ts';
import { summarise } from '../../../src/jsonrpc/summarise.ts';
import { isJsonRpcMessage, toMessages } from '../../../src/jsonrpc/validate.ts';

function assertRefused(value: unknown, code: ErrorCode, allowBatch = false): WardenError {
  let caught: unknown;
  try {
    toMessages(value, { allowBatch });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof WardenError, `expected a refusal for ${JSON.stringify(value)}`);
  assert.equal(caught.code, code, `${JSON.stringify(value)}: ${caught.detail ?? ''}`);
  assert.equal(caught.jsonrpcCode, -32600);
  return caught;
}

describe('toMessages: valid messages', () => {
  const valid: [string, unknown][] = [
    ['a request with object params', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } }],
    ['a request with array params', { jsonrpc: '2.0', id: 'a', method: 'm', params: [1, 2] }],
    ['a request without params', { jsonrpc: '2.0', id: 0, method: 'ping' }],
    ['a request with a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }],
    ['a request with a negative id', { jsonrpc: '2.0', id: -7, method: 'ping' }],
    ['a request with an empty-string id', { jsonrpc: '2.0', id: '', method: 'ping' }],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ['a notification with params', { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } }],
    ['a success response', { jsonrpc: '2.0', id: 1, result: {} }],
    ['a success response with a string id', { jsonrpc: '2.0', id: 'x', result: { content: [] } }],
    ['an error response', { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }],
    ['an error response with data', { jsonrpc: '2.0', id: 'q', error: { code: -32602, message: 'bad', data: { why: 1 } } }],
    ['an error response with a null id', { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }],
  ];
  for (const [name, value] of valid) {
    it(name, () => {
      const result = toMessages(value, { allowBatch: false });
      assert.equal(result.batch, false);
      assert.equal(result.messages.length, 1);
      assert.equal(result.messages[0], value, 'the validated message is the parsed object itself (one parse)');
      assert.ok(isJsonRpcMessage(value));
    });
  }

  it('a batch when the version allows it, elements in order', () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', id: 9, result: { roots: [] } },
    ];
    const result = toMessages(batch, { allowBatch: true });
    assert.equal(result.batch, true);
    assert.deepEqual(result.messages, batch);
  });
});

describe('toMessages: refusals', () => {
  const invalid: [string, unknown][] = [
    ['a string', 'hello'],
    ['a number', 42],
    ['null', null],
    ['true', true],
    ['an object without jsonrpc', { id: 1, method: 'ping' }],
    ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['jsonrpc as a number', { jsonrpc: 2.0, id: 1, method: 'ping' }],
    ['a method that is not a string', { jsonrpc: '2.0', id: 1, method: 42 }],
    ['a null method', { jsonrpc: '2.0', id: 1, method: null }],
    ['params as a string', { jsonrpc: '2.0', id: 1, method: 'm', params: 'x' }],
    ['params as a number', { jsonrpc: '2.0', id: 1, method: 'm', params: 1 }],
    ['params null', { jsonrpc: '2.0', id: 1, method: 'm', params: null }],
    ['a request with a null id', { jsonrpc: '2.0', id: null, method: 'ping' }],
    ['a request with an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }],
    ['a request with an array id', { jsonrpc: '2.0', id: [1], method: 'ping' }],
    ['a request with a boolean id', { jsonrpc: '2.0', id: true, method: 'ping' }],
    ['a request with an infinite id (1e400 parses to Infinity)', { jsonrpc: '2.0', id: Number.POSITIVE_INFINITY, method: 'ping' }],
    ['a request with an integer id beyond 2^53 (would be rounded)', { jsonrpc: '2.0', id: 2 ** 53 + 2, method: 'ping' }],
    ['a request with an unknown member', { jsonrpc: '2.0', id: 1, method: 'ping', extra: true }],
    ['a method + result hybrid', { jsonrpc: '2.0', id: 1, method: 'ping', result: {} }],
    ['a method + error hybrid', { jsonrpc: '2.0', id: 1, method: 'ping', error: { code: 1, message: 'x' } }],
    ['a response with both result and error', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } }],
    ['a response with neither result nor error', { jsonrpc: '2.0', id: 1 }],
    ['a response without an id', { jsonrpc: '2.0', result: {} }],
    ['a success response with a null id', { jsonrpc: '2.0', id: null, result: {} }],
    ['a success response with a boolean id', { jsonrpc: '2.0', id: false, result: {} }],
    ['a result that is not an object', { jsonrpc: '2.0', id: 1, result: 'ok' }],
    ['a result that is an array', { jsonrpc: '2.0', id: 1, result: [] }],
    ['a result that is null', { jsonrpc: '2.0', id: 1, result: null }],
    ['a response with an unknown member', { jsonrpc: '2.0', id: 1, result: {}, params: {} }],
    ['an error that is not an object', { jsonrpc: '2.0', id: 1, error: 'boom' }],
    ['an error without a code', { jsonrpc: '2.0', id: 1, error: { message: 'x' } }],
    ['an error with a fractional code', { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } }],
    ['an error with a string code', { jsonrpc: '2.0', id: 1, error: { code: '-32600', message: 'x' } }],
    ['an error without a message', { jsonrpc: '2.0', id: 1, error: { code: -32600 } }],
    ['an error with a non-string message', { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 7 } }],
    ['an error with an unknown member', { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'x', stack: 'at …' } }],
    ['an error response with an object id', { jsonrpc: '2.0', id: {}, error: { code: -32600, message: 'x' } }],
  ];
  for (const [name, value] of invalid) {
    it(`INVALID_REQUEST: ${name}`, () => {
      assertRefused(value, 'WARDEN_ERR_JSONRPC_INVALID_REQUEST');
      assert.equal(isJsonRpcMessage(value), false);
    });
  }

  it('INVALID_REQUEST: a message whose jsonrpc comes only from the prototype chain', () => {
    const proto = { jsonrpc: '2.0' };
    const value = Object.assign(Object.create(proto) as object, { id: 1, method: 'ping' });
    assertRefused(value, 'WARDEN_ERR_JSONRPC_INVALID_REQUEST');
  });

  it('BATCH_FORBIDDEN: any array when the version forbids batches, even an empty one', () => {
    assertRefused([{ jsonrpc: '2.0', id: 1, method: 'ping' }], 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN');
    assertRefused([], 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN');
  });

  it('EMPTY_BATCH: an empty array when batches are allowed', () => {
    assertRefused([], 'WARDEN_ERR_JSONRPC_EMPTY_BATCH', true);
  });

  it('INVALID_REQUEST: a batch with one invalid element is refused whole, naming the element', () => {
    const err = assertRefused([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2 }], 'WARDEN_ERR_JSONRPC_INVALID_REQUEST', true);
    assert.deepEqual(err.toJsonRpcError().data, { batch_index: 1, warden_code: 'WARDEN_ERR_JSONRPC_INVALID_REQUEST' });
  });

  it('INVALID_REQUEST: a nested batch', () => {
    assertRefused([[{ jsonrpc: '2.0', id: 1, method: 'ping' }]], 'WARDEN_ERR_JSONRPC_INVALID_REQUEST', true);
  });
});

describe('toMessages: properties', () => {
  // Near-misses: every member optional, each drawn from valid and invalid values.
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
  const candidate = fc.record(
    {
      jsonrpc: fc.oneof(fc.constant('2.0'), anyValue),
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), anyValue),
      method: fc.oneof(fc.constantFrom('tools/call', 'resources/read', 'prompts/get', 'ping'), anyValue),
      params: fc.oneof(fc.record({ name: fc.oneof(fc.string(), anyValue), uri: fc.oneof(fc.string(), anyValue) }), anyValue),
      result: fc.oneof(fc.record({ isError: fc.oneof(fc.boolean(), anyValue) }), anyValue),
      error: fc.oneof(fc.record({ code: fc.oneof(fc.integer(), anyValue), message: fc.oneof(fc.string(), anyValue) }), anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  );

  it('every candidate is either exactly one well-formed kind of message or refused with INVALID_REQUEST', () => {
    fc.assert(
      fc.property(candidate, (raw) => {
        const value = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>; // as the wire would carry it
        let messages;
        try {
          messages = toMessages(value, { allowBatch: false }).messages;
        } catch (err) {
          assert.ok(err instanceof WardenError);
          assert.equal(err.code, 'WARDEN_ERR_JSONRPC_INVALID_REQUEST');
          return;
        }
        const message = messages[0]!;
        assert.equal(value.jsonrpc, '2.0');
        const kind = messageKind(message);
        const has = (k: string): boolean => Object.hasOwn(value, k);
        if (kind === 'response') {
          assert.ok(has('result') !== has('error'), 'exactly one of result and error');
          assert.ok(!has('method') && !has('params'));
        } else {
          assert.equal(typeof value.method, 'string');
          assert.ok(!has('result') && !has('error'));
          if (has('id')) assert.ok(typeof value.id === 'string' || Number.isFinite(value.id));
        }
        // Summarising a validated message never throws, and only strings become targets.
        const summary = summarise(message, 'tools/call');
        for (const target of [summary.tool, summary.resourceUri, summary.prompt]) assert.ok(target === undefined || typeof target === 'string');
      }),
      { numRuns: 500 },
    );
  });

  it('any JSON value, batch or not, yields messages or a WardenError and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.array(candidate.map((c) => JSON.parse(JSON.stringify(c)) as unknown), { maxLength: 4 })), fc.boolean(), (value, allowBatch) => {
        try {
          for (const message of toMessages(value, { allowBatch }).messages) summarise(message);
        } catch (err) {
          if (!(err instanceof WardenError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
