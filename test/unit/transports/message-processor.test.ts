import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { MessageContext } from '../../../src/pipeline/exchange-context.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import type { PipelineOutcome } from '../../../src/pipeline/stage.ts';
import { ANONYMOUS_VIEWER } from '../../../src/pipeline/principal.ts';
import { Correlator } from '../../../src/transports/correlator.ts';
import { MessageProcessor } from '../../../src/transports/message-processor.ts';

const connection = { transport: 'streamable-http' as const, upstream: 'u', clientIp: '127.0.0.1', userAgent: undefined, protocolVersion: undefined, sessionId: 's', principal: ANONYMOUS_VIEWER };

describe('MessageProcessor', () => {
  it('a request reusing a pending id is refused before the stages, and the observers (audit) see the refusal', async () => {
    const seen: [MessageContext, PipelineOutcome][] = [];
    const processor = new MessageProcessor(new Pipeline({ toServer: [], toClient: [] }, [{ onOutcome: (ctx, o) => void seen.push([ctx, o]) }]), { maxDepth: 64 }, pino({ level: 'silent' }));
    const correlator = new Correlator();
    const send = (text: string) => processor.processBytes(Buffer.from(text), 'to_server', connection, correlator, { allowBatch: false });
    await send('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const second = await send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
    const outcome = second.items[0]!.outcome;
    assert.equal(outcome.action, 'reject');
    assert.equal(outcome.action === 'reject' && outcome.error.code, 'WARDEN_ERR_JSONRPC_DUPLICATE_ID');
    assert.equal(seen.length, 2);
    const [ctx, observed] = seen[1]!;
    assert.equal(ctx.summary.method, 'tools/list');
    assert.equal(observed.action === 'reject' && observed.stage, 'correlation');
  });
});
