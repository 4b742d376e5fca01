import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcMessage } from '../../../src/jsonrpc/message.ts';
import { summarise } from '../../../src/jsonrpc/summarise.ts';

const request = (method: string, params?: unknown, id: string | number = 1): JsonRpcMessage => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }) as JsonRpcMessage;

describe('summarise', () => {
  it('tools/call: the tool is params.name', () => {
    assert.deepEqual(summarise(request('tools/call', { name: 'echo', arguments: { message: 'x' } }, 7)), {
      kind: 'request',
      method: 'tools/call',
      id: 7,
      tool: 'echo',
      resourceUri: undefined,
      prompt: undefined,
      isError: false,
    });
  });

  for (const method of ['resources/read', 'resources/subscribe', 'resources/unsubscribe']) {
    it(`${method}: the resource is params.uri`, () => {
      const s = summarise(request(method, { uri: 'file:///etc/passwd' }));
      assert.equal(s.resourceUri, 'file:///etc/passwd');
      assert.equal(s.tool, undefined);
      assert.equal(s.prompt, undefined);
    });
  }

  it('prompts/get: the prompt is params.name', () => {
    const s = summarise(request('prompts/get', { name: 'simple-prompt' }, 'p1'));
    assert.equal(s.prompt, 'simple-prompt');
    assert.equal(s.tool, undefined);
    assert.equal(s.id, 'p1');
  });

  it('only string targets count: anything else leaves the target undefined (policy then denies)', () => {
    for (const name of [42, null, ['echo'], { toString: 'echo' }, true]) {
      assert.equal(summarise(request('tools/call', { name })).tool, undefined, JSON.stringify(name));
      assert.equal(summarise(request('prompts/get', { name })).prompt, undefined);
      assert.equal(summarise(request('resources/read', { uri: name })).resourceUri, undefined);
    }
  });

  it('targets are not looked up in params arrays, missing params or the prototype chain', () => {
    assert.equal(summarise(request('tools/call', ['echo'])).tool, undefined);
    assert.equal(summarise(request('tools/call')).tool, undefined);
    const inherited = Object.create({ name: 'echo' }) as object;
    assert.equal(summarise(request('tools/call', inherited)).tool, undefined);
  });

  it('other methods have no target, even with a name param', () => {
    const s = summarise(request('tools/list', { name: 'echo' }));
    assert.deepEqual([s.tool, s.resourceUri, s.prompt], [undefined, undefined, undefined]);
    // A method name that is also an Object.prototype member must not be treated as a table entry.
    assert.equal(summarise(request('constructor', { name: 'x' })).tool, undefined);
  });

  it('notifications: kind notification, no id', () => {
    const s = summarise({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });
    assert.equal(s.kind, 'notification');
    assert.equal(s.method, 'notifications/progress');
    assert.equal(s.id, undefined);
    assert.equal(s.isError, false);
  });

  it('server→client requests are requests like any other', () => {
    const s = summarise({ jsonrpc: '2.0', id: 0, method: 'sampling/createMessage', params: { messages: [] } });
    assert.equal(s.kind, 'request');
    assert.equal(s.method, 'sampling/createMessage');
  });

  it('responses: the method is the answered request’s, and isError reflects the outcome', () => {
    const ok = summarise({ jsonrpc: '2.0', id: 3, result: { content: [] } }, 'tools/call');
    assert.deepEqual(ok, { kind: 'response', method: 'tools/call', id: 3, tool: undefined, resourceUri: undefined, prompt: undefined, isError: false });
    assert.equal(summarise({ jsonrpc: '2.0', id: 3, result: { content: [], isError: true } }, 'tools/call').isError, true);
    assert.equal(summarise({ jsonrpc: '2.0', id: 3, result: { isError: 'true' } }).isError, false, 'only the boolean true counts');
    const failure = summarise({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    assert.equal(failure.isError, true);
    assert.equal(failure.id, null);
    assert.equal(failure.method, undefined, 'no request method known');
  });
});
