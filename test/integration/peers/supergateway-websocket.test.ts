import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { connectClient, progressValues, tapIncoming, startSupergatewayWs, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';

/**
 * A real WebSocket MCP server: supergateway in front of server-everything's stdio mode
 * (subprotocol `mcp`). The SDK v1 WebSocket client transport on every target; identical results.
 */
describe('supergateway WebSocket (server-everything stdio) with the SDK WebSocket client', () => {
  let upstream: RunningPeer;
  const targets = new TargetTable();

  before(async () => {
    upstream = await startSupergatewayWs();
    targets.add('direct', upstream.url);
    await addWardenTarget(targets, upstream.url, 'websocket');
  });
  after(async () => {
    await targets.closeAll();
    await upstream?.close();
  });

  it('lists tools and calls echo and get-sum', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'websocket');
        try {
          const names = (await client.listTools()).tools.map((t) => t.name).sort();
          const echo = await client.callTool({ name: 'echo', arguments: { message: 'over a socket' } });
          const sum = await client.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
          return { names, echo: echo.content, sum: sum.content, server: client.getServerVersion()?.name };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.ok(r.names.includes('echo') && r.names.includes('get-env'), r.names.join(','));
        assert.deepEqual(r.echo, [{ type: 'text', text: 'Echo: over a socket' }]);
        assert.deepEqual(r.sum, [{ type: 'text', text: 'The sum of 40 and 2 is 42.' }]);
        assert.equal(r.server, 'mcp-servers/everything');
      },
    );
  });

  it('delivers progress notifications before the result', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'websocket');
        try {
          const wire = tapIncoming(client);
          const result = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
            onprogress: () => undefined /* asks for progress; counted on the wire */,
            timeout: 10_000,
          });
          return { progress: progressValues(wire), done: Array.isArray(result.content) && result.content.length > 0 };
        } finally {
          await client.close();
        }
      },
      (r) => assert.deepEqual(r, { progress: [1, 2, 3], done: true }),
    );
  });

  it('negotiates the mcp subprotocol on the upgrade', async () => {
    await targets.expectSame(
      async (target) => {
        const socket = new WebSocket(target.url, 'mcp');
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once('open', () => resolve());
            socket.once('error', reject);
            setTimeout(() => reject(new Error('no open within 5 s')), 5_000).unref();
          });
          return socket.protocol;
        } finally {
          socket.close();
        }
      },
      (protocol) => assert.equal(protocol, 'mcp'),
    );
  });
});
