import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageContext } from '../../../src/pipeline/exchange-context.ts';
import { Correlator } from '../../../src/transports/correlator.ts';

function request(id: string | number, direction: 'to_server' | 'to_client' = 'to_server', method = 'tools/list'): MessageContext {
  return { direction, summary: { kind: 'request', id, method } } as unknown as MessageContext;
}

describe('Correlator', () => {
  it('pairs a response with the request it answers, once', () => {
    const c = new Correlator();
    const req = request(7);
    c.remember(req);
    assert.equal(c.take('to_client', 7), req);
    assert.equal(c.take('to_client', 7), undefined);
  });

  it('keeps numeric and string ids apart', () => {
    const c = new Correlator();
    c.remember(request(1));
    assert.equal(c.take('to_client', '1'), undefined);
    assert.ok(c.take('to_client', 1));
  });

  it('keeps directions apart: a client response answers a server request', () => {
    const c = new Correlator();
    const serverRequest = request(1, 'to_client', 'sampling/createMessage');
    c.remember(serverRequest);
    assert.equal(c.take('to_client', 1), undefined);
    assert.equal(c.take('to_server', 1), serverRequest);
  });

  it('is bounded: the oldest pending request is forgotten past the cap', () => {
    const c = new Correlator(2);
    c.remember(request(1));
    c.remember(request(2));
    c.remember(request(3));
    assert.equal(c.size, 2);
    assert.equal(c.take('to_client', 1), undefined);
    assert.ok(c.take('to_client', 3));
  });
});
