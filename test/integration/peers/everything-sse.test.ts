import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, progressValues, tapIncoming, runInspectorCli, startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';

/**
 * @modelcontextprotocol/server-everything in legacy HTTP+SSE mode (GET /sse, the `endpoint` event,
 * POST /message?sessionId=…, replies on the stream), with the Inspector CLI and the SDK v1 SSE
 * transport. Identical results on every target of the table.
 */
describe('server-everything (legacy HTTP+SSE) with real clients', () => {
  let upstream: RunningPeer;
  const targets = new TargetTable();

  before(async () => {
    upstream = await startEverything('sse');
    targets.add('direct', upstream.url);
    await addWardenTarget(targets, upstream.url, 'sse');
  });
  after(async () => {
    await targets.closeAll();
    await upstream?.close();
  });

  it('Inspector CLI on /sse: tools/list and tools/call get-sum', async () => {
    await targets.expectSame(
      async (target) => {
        const list = await runInspectorCli(target.url, ['--method', 'tools/list']);
        assert.equal(list.code, 0, `${target.name}: ${list.stderr}`);
        const call = await runInspectorCli(target.url, ['--method', 'tools/call', '--tool-name', 'get-sum', '--tool-arg', 'a=2', 'b=40']);
        assert.equal(call.code, 0, `${target.name}: ${call.stderr}`);
        return { names: (list.json as { tools: { name: string }[] }).tools.map((t) => t.name).sort(), call: call.json };
      },
      (r) => {
        assert.ok(r.names.includes('get-sum') && r.names.includes('echo'), r.names.join(','));
        assert.deepEqual(r.call, { content: [{ type: 'text', text: 'The sum of 2 and 40 is 42.' }] });
      },
    );
  });

  it('Inspector CLI on /sse: a tool that does not exist exits 5', async () => {
    await targets.expectSame(
      async (target) => (await runInspectorCli(target.url, ['--method', 'tools/call', '--tool-name', 'no-such-tool'])).code,
      (code) => assert.equal(code, 5),
    );
  });

  it('SDK v1 SSE transport: list tools, call echo, receive progress on the stream', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'sse');
        try {
          const names = (await client.listTools()).tools.map((t) => t.name).sort();
          const echo = await client.callTool({ name: 'echo', arguments: { message: 'über SSE ✓' } });
          const wire = tapIncoming(client);
          await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
            onprogress: () => undefined /* asks for progress; counted on the wire */,
            timeout: 10_000,
          });
          const progress = progressValues(wire);
          return { names, echo: echo.content, progress };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.ok(r.names.length >= 13);
        assert.deepEqual(r.echo, [{ type: 'text', text: 'Echo: über SSE ✓' }]);
        assert.deepEqual(r.progress, [1, 2, 3]);
      },
    );
  });

  it('SDK v1 SSE transport: two clients at once get their own sessions and their own answers', async () => {
    await targets.expectSame(
      async (target) => {
        const [a, b] = await Promise.all([connectClient(target.url, 'sse'), connectClient(target.url, 'sse')]);
        try {
          const [ra, rb] = await Promise.all([
            a.callTool({ name: 'echo', arguments: { message: 'from a' } }),
            b.callTool({ name: 'echo', arguments: { message: 'from b' } }),
          ]);
          return [ra.content, rb.content];
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      },
      (r) => assert.deepEqual(r, [[{ type: 'text', text: 'Echo: from a' }], [{ type: 'text', text: 'Echo: from b' }]]),
    );
  });
});
