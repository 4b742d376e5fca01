import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, startEverything, type ClientTransportKind, type RunningPeer } from '../../helpers/peers.ts';
import { addWardenTarget, type TestWarden } from '../../helpers/warden.ts';

/**
 * Server→client requests (sampling/createMessage, elicitation/create) flow through mcp-warden on
 * every transport and go through the pipeline like any other message (issue 2, item 8): the
 * client's answer reaches the server and the tool result comes back; the metrics show each
 * message was processed in its direction.
 */
const cases: { transport: ClientTransportKind; start: () => Promise<RunningPeer> }[] = [
  { transport: 'streamable-http', start: () => startEverything('streamableHttp') },
  { transport: 'sse', start: () => startEverything('sse') },
  // WebSocket: supergateway (our only real WebSocket MCP server) does not carry server→client
  // requests even when connected directly (the call times out), so that case is tested in
  // websocket-behaviour.test.ts against a ws upstream that sends sampling/createMessage itself.
];

for (const { transport, start } of cases) {
  describe(`server→client requests through mcp-warden (${transport})`, () => {
    let upstream: RunningPeer;
    let warden: TestWarden;
    let url: string;

    before(async () => {
      upstream = await start();
      warden = await addWardenTarget({ add: (_n, u) => (url = u) }, upstream.url, transport);
    });
    after(async () => {
      await warden?.close();
      await upstream?.close();
    });

    async function counted(direction: string, method: string): Promise<number> {
      const text = await (await fetch(warden.url('/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith('mcp_warden_messages_total{') && l.includes(`transport="${transport}"`) && l.includes(`direction="${direction}"`) && l.includes(`method="${method}"`) && l.includes('outcome="forwarded"'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    }

    it('sampling/createMessage reaches the client, its answer reaches the server', async () => {
      const before = await counted('to_client', 'sampling/createMessage');
      const client = await connectClient(url, transport, {
        capabilities: { sampling: {} },
        setup: (c) =>
          c.setRequestHandler(CreateMessageRequestSchema, async () => ({
            role: 'assistant',
            model: 'test-model',
            content: { type: 'text', text: 'sampled through the proxy' },
          })),
      });
      try {
        const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } }, undefined, { timeout: 15_000 });
        assert.match(JSON.stringify(result.content), /sampled through the proxy/);
      } finally {
        await client.close();
      }
      assert.equal(await counted('to_client', 'sampling/createMessage'), before + 1, 'the server request went through the pipeline');
    });

    it('elicitation/create reaches the client, its answer reaches the server', async () => {
      const client = await connectClient(url, transport, {
        capabilities: { elicitation: {} },
        setup: (c) => c.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' })),
      });
      try {
        const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} }, undefined, { timeout: 15_000 });
        assert.match(JSON.stringify(result.content), /declin/i);
      } finally {
        await client.close();
      }
      assert.ok((await counted('to_client', 'elicitation/create')) >= 1);
    });
  });
}
