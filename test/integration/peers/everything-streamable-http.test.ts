import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, progressValues, tapIncoming, connectClientV2, runInspectorCli, startEverything, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';

/**
 * @modelcontextprotocol/server-everything in streamableHttp mode, exercised by real clients: the
 * MCP Inspector CLI, the SDK v1 Streamable HTTP transport and the SDK v2 client (2025 era; this
 * server does not speak 2026-07-28). Every scenario runs on each target of the table and must give
 * identical results on each.
 */
describe('server-everything (Streamable HTTP) with real clients', () => {
  let upstream: RunningPeer;
  const targets = new TargetTable();

  before(async () => {
    upstream = await startEverything('streamableHttp');
    targets.add('direct', upstream.url);
    await addWardenTarget(targets, upstream.url, 'streamable-http');
  });
  after(async () => {
    await targets.closeAll();
    await upstream?.close();
  });

  it('Inspector CLI: tools/list shows the annotated tools', async () => {
    await targets.expectSame(
      async (target) => {
        const result = await runInspectorCli(target.url, ['--method', 'tools/list']);
        assert.equal(result.code, 0, `${target.name}: ${result.stderr}`);
        const tools = (result.json as { tools: { name: string; annotations?: { readOnlyHint?: boolean } }[] }).tools;
        return tools.map((tool) => ({ name: tool.name, readOnly: tool.annotations?.readOnlyHint ?? false })).sort((a, b) => a.name.localeCompare(b.name));
      },
      (tools) => {
        assert.ok(tools.length >= 13, `expected at least 13 tools, got ${tools.length}`);
        assert.deepEqual(tools.find((t) => t.name === 'get-sum'), { name: 'get-sum', readOnly: true });
        assert.deepEqual(tools.find((t) => t.name === 'toggle-simulated-logging'), { name: 'toggle-simulated-logging', readOnly: false });
      },
    );
  });

  it('Inspector CLI: tools/call get-sum returns 42', async () => {
    await targets.expectSame(
      async (target) => {
        const result = await runInspectorCli(target.url, ['--method', 'tools/call', '--tool-name', 'get-sum', '--tool-arg', 'a=2', 'b=40']);
        return { code: result.code, json: result.json };
      },
      (result) => {
        assert.equal(result.code, 0);
        assert.deepEqual(result.json, { content: [{ type: 'text', text: 'The sum of 2 and 40 is 42.' }] });
      },
    );
  });

  it('Inspector CLI: a tool that does not exist exits 5', async () => {
    await targets.expectSame(
      async (target) => (await runInspectorCli(target.url, ['--method', 'tools/call', '--tool-name', 'no-such-tool'])).code,
      (code) => assert.equal(code, 5),
    );
  });

  it('SDK v1 Streamable HTTP: list tools, call echo and get-sum, receive progress', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'streamable-http');
        try {
          const names = (await client.listTools()).tools.map((t) => t.name).sort();
          const echo = await client.callTool({ name: 'echo', arguments: { message: 'hello through the wire' } });
          const sum = await client.callTool({ name: 'get-sum', arguments: { a: 19, b: 23 } });
          const wire = tapIncoming(client);
          const long = await client.callTool(
            { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
            undefined,
            { onprogress: () => undefined /* asks for progress; counted on the wire */, timeout: 10_000 },
          );
          const progress = progressValues(wire);
          return { names, echo, sum, progress, long, protocol: client.getServerVersion()?.name };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.ok(r.names.includes('echo') && r.names.includes('get-env'));
        assert.deepEqual(r.echo.content, [{ type: 'text', text: 'Echo: hello through the wire' }]);
        assert.deepEqual(r.sum.content, [{ type: 'text', text: 'The sum of 19 and 23 is 42.' }]);
        assert.deepEqual(r.progress, [1, 2, 3], 'progress notifications arrive on the POST stream, in order');
        assert.equal(r.protocol, 'mcp-servers/everything');
      },
    );
  });

  it('SDK v1 Streamable HTTP: a tool error is a result with isError, not a transport failure', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'streamable-http');
        try {
          const result = await client.callTool({ name: 'get-sum', arguments: { a: 'x' } });
          return { isError: result.isError === true };
        } finally {
          await client.close();
        }
      },
      (r) => assert.equal(r.isError, true),
    );
  });

  it('SDK v2 client (2025 era fallback): list tools and call get-sum', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClientV2(target.url, { negotiation: 'auto' });
        try {
          return {
            version: client.getNegotiatedProtocolVersion(),
            names: (await client.listTools()).tools.map((t) => t.name).sort(),
            sum: (await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })).content,
          };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.equal(r.version, '2025-11-25');
        assert.ok(r.names.includes('get-sum'));
        assert.deepEqual(r.sum, [{ type: 'text', text: 'The sum of 1 and 2 is 3.' }]);
      },
    );
  });
});
