import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WardenError } from '../../../src/errors/warden-error.ts';
import type { MessageContext } from '../../../src/pipeline/exchange-context.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { ANONYMOUS_VIEWER } from '../../../src/pipeline/principal.ts';
import { PASS, mutate, reject, type PipelineOutcome, type Stage } from '../../../src/pipeline/stage.ts';

function context(direction: 'to_server' | 'to_client' = 'to_server'): MessageContext {
  const message = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'echo' } };
  return {
    decisionId: 'd-1',
    direction,
    connection: { transport: 'streamable-http', upstream: 'u', clientIp: '127.0.0.1', userAgent: undefined, protocolVersion: undefined, sessionId: undefined, principal: ANONYMOUS_VIEWER },
    receivedAt: 0,
    message,
    raw: Buffer.from(JSON.stringify(message)),
    summary: { kind: 'request', method: 'tools/call', id: 1, tool: 'echo', resourceUri: undefined, prompt: undefined, isError: false },
    request: undefined,
    notes: new Map(),
  };
}

const stage = (name: string, directions: Stage['directions'], process: Stage['process']): Stage => ({ name, directions, process });

describe('Pipeline', () => {
  it('forwards untouched when no stage applies, keeping the raw bytes', async () => {
    const ctx = context();
    const outcome = await new Pipeline({ toServer: [], toClient: [] }).run(ctx);
    assert.deepEqual(outcome, { action: 'forward', message: ctx.message, mutated: false });
    assert.ok(ctx.raw);
  });

  it('runs only the stages of the message direction, in order', async () => {
    const seen: string[] = [];
    const a = stage('a', ['to_server'], () => (seen.push('a'), PASS));
    const b = stage('b', ['to_client'], () => (seen.push('b'), PASS));
    const c = stage('c', ['to_server', 'to_client'], () => (seen.push('c'), PASS));
    const p = new Pipeline({ toServer: [a, c], toClient: [c, b] });
    await p.run(context('to_server'));
    assert.deepEqual(seen, ['a', 'c'], 'a stage in both lists runs once per message');
    seen.length = 0;
    await p.run(context('to_client'));
    assert.deepEqual(seen, ['c', 'b']);
  });

  it('a mutation drops the raw bytes so the transport re-serialises what was evaluated', async () => {
    const ctx = context();
    const changed = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'other' } };
    const outcome = await new Pipeline({ toServer: [stage('m', ['to_server'], () => mutate(changed))], toClient: [] }).run(ctx);
    assert.equal(outcome.action, 'forward');
    assert.equal(outcome.action === 'forward' && outcome.mutated, true);
    assert.equal(ctx.raw, undefined);
    assert.deepEqual(ctx.message, changed);
  });

  it('the first reject ends the chain', async () => {
    let reached = false;
    const p = new Pipeline({
      toServer: [stage('deny', ['to_server'], () => reject(new WardenError('WARDEN_ERR_POLICY_DENIED'))), stage('later', ['to_server'], () => ((reached = true), PASS))],
      toClient: [],
    });
    const outcome = await p.run(context());
    assert.equal(outcome.action, 'reject');
    assert.equal(outcome.action === 'reject' && outcome.stage, 'deny');
    assert.equal(reached, false);
  });

  it('a stage that throws is a reject (fail closed), never a pass', async () => {
    const outcome = await new Pipeline({ toServer: [stage('boom', ['to_server'], () => { throw new Error('bug'); })], toClient: [] }).run(context());
    assert.equal(outcome.action, 'reject');
    assert.equal(outcome.action === 'reject' && outcome.error.code, 'WARDEN_ERR_INTERNAL_ERROR');
  });

  it('observers see every outcome, and a failing observer changes nothing', async () => {
    const seen: PipelineOutcome[] = [];
    const p = new Pipeline({ toServer: [], toClient: [] }, [{ onOutcome: () => { throw new Error('observer bug'); } }, { onOutcome: (_c, o) => void seen.push(o) }]);
    const outcome = await p.run(context());
    assert.equal(outcome.action, 'forward');
    assert.equal(seen.length, 1);
  });

  it('waits for an observer that returns a promise, and refuses the message if that promise rejects', async () => {
    let written = false;
    const waits = new Pipeline({ toServer: [], toClient: [] }, [{ onOutcome: () => new Promise<void>((r) => setTimeout(() => ((written = true), r()), 20)) }]);
    assert.equal((await waits.run(context())).action, 'forward');
    assert.equal(written, true, 'released only after the observer settled');

    const unavailable = new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE');
    const fails = new Pipeline({ toServer: [], toClient: [] }, [{ onOutcome: () => Promise.reject(unavailable) }]);
    const outcome = await fails.run(context());
    assert.equal(outcome.action, 'reject');
    assert.equal(outcome.action === 'reject' && outcome.error, unavailable);
    assert.equal(outcome.action === 'reject' && outcome.stage, 'audit');
  });

  it('when an observer wait fails, every observer also learns the refusal that replaced the outcome', async () => {
    const seen: string[] = [];
    let first = true;
    const p = new Pipeline({ toServer: [], toClient: [] }, [
      {
        onOutcome: (_c, o) => {
          seen.push(o.action === 'reject' ? o.error.code : o.action);
          if (!first) return undefined;
          first = false;
          return Promise.reject(new WardenError('WARDEN_ERR_AUDIT_UNAVAILABLE'));
        },
      },
    ]);
    assert.equal((await p.run(context())).action, 'reject');
    assert.deepEqual(seen, ['forward', 'WARDEN_ERR_AUDIT_UNAVAILABLE']);
  });
});
