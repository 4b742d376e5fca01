import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, connectClientV2, progressValues, runInspectorCli, startV2Fixture, tapIncoming, type RunningPeer } from '../../helpers/peers.ts';
import { TargetTable } from '../../helpers/targets.ts';
import { addWardenTarget } from '../../helpers/warden.ts';

/**
 * The SDK v2 fixture (`createMcpHandler`, test/fixtures/servers/v2-server.ts) speaks both eras on
 * one endpoint. Clients: the SDK v2 client pinned to 2026-07-28 (server/discover, Mcp-Method /
 * Mcp-Name headers, no session), the SDK v1 client (2025 era, stateless fallback), the Inspector
 * CLI, and raw HTTP for the header checks. Identical results on every target of the table.
 */
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-http', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** The fixture also serves the conformance suite's `test_*` tools; these tests are about the others. */
const isConformanceTool = (name: string) => name.startsWith('test_');

async function post2026(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: { result?: unknown; error?: { code: number } } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as { result?: unknown; error?: { code: number } } };
}

describe('SDK v2 fixture (both protocol eras) with real clients', () => {
  let upstream: RunningPeer;
  const targets = new TargetTable();

  before(async () => {
    upstream = await startV2Fixture();
    targets.add('direct', upstream.url);
    await addWardenTarget(targets, upstream.url, 'streamable-http');
  });
  after(async () => {
    await targets.closeAll();
    await upstream?.close();
  });

  it('SDK v2 client pinned to 2026-07-28: discover, list, read, small and large results', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClientV2(target.url, { negotiation: { pin: '2026-07-28' } });
        try {
          const tools = (await client.listTools()).tools.filter((t) => !isConformanceTool(t.name)).map((t) => ({ name: t.name, readOnly: t.annotations?.readOnlyHint === true }));
          const read = await client.callTool({ name: 'read-note', arguments: { key: 'hello' } });
          const small = await client.callTool({ name: 'small' });
          const large = await client.callTool({ name: 'large' });
          const text = (result: typeof small) => (result.content as { text: string }[])[0]!.text;
          return { version: client.getNegotiatedProtocolVersion(), tools, read: read.content, small: text(small).length, large: text(large) };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.equal(r.version, '2026-07-28');
        assert.deepEqual(r.tools, [
          { name: 'read-note', readOnly: true },
          { name: 'write-note', readOnly: false },
          { name: 'small', readOnly: true },
          { name: 'large', readOnly: true },
          { name: 'progress', readOnly: true },
        ]);
        assert.deepEqual(r.read, [{ type: 'text', text: 'world' }]);
        assert.equal(r.small, 100);
        assert.equal(r.large.length, 100 * 1024);
        assert.match(r.large, /^large result: y+$/);
      },
    );
  });

  it('SDK v2 client pinned to 2026-07-28: a write is visible to a later read', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClientV2(target.url);
        try {
          const key = `note-${target.name}`;
          const write = await client.callTool({ name: 'write-note', arguments: { key, value: 'v1' } });
          const read = await client.callTool({ name: 'read-note', arguments: { key } });
          return { write: write.content, read: read.content };
        } finally {
          await client.close();
        }
      },
      // The key differs per target; the texts must not reveal it for the comparison to hold.
      (r, target) => {
        assert.deepEqual(r.write, [{ type: 'text', text: `wrote note-${target.name}` }]);
        assert.deepEqual(r.read, [{ type: 'text', text: 'v1' }]);
        r.write = [{ type: 'text', text: 'wrote <key>' }];
      },
    );
  });

  it('SDK v2 client pinned to 2026-07-28: progress notifications stream before the result (SSE reply)', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClientV2(target.url);
        try {
          const wire = tapIncoming(client);
          const result = await client.callTool({ name: 'progress', arguments: { steps: 4 } }, { onprogress: () => undefined, timeout: 10_000 });
          return { progress: progressValues(wire), content: result.content };
        } finally {
          await client.close();
        }
      },
      (r) => assert.deepEqual(r, { progress: [1, 2, 3, 4], content: [{ type: 'text', text: 'done after 4 steps' }] }),
    );
  });

  it('SDK v1 client (2025 era, stateless fallback): list tools and call read-note', async () => {
    await targets.expectSame(
      async (target) => {
        const client = await connectClient(target.url, 'streamable-http');
        try {
          return {
            names: (await client.listTools()).tools.map((t) => t.name).filter((n) => !isConformanceTool(n)),
            read: (await client.callTool({ name: 'read-note', arguments: { key: 'hello' } })).content,
          };
        } finally {
          await client.close();
        }
      },
      (r) => {
        assert.deepEqual(r.names, ['read-note', 'write-note', 'small', 'large', 'progress']);
        assert.deepEqual(r.read, [{ type: 'text', text: 'world' }]);
      },
    );
  });

  it('Inspector CLI: tools/list and tools/call read-note', async () => {
    await targets.expectSame(
      async (target) => {
        const list = await runInspectorCli(target.url, ['--method', 'tools/list']);
        assert.equal(list.code, 0, `${target.name}: ${list.stderr}`);
        const call = await runInspectorCli(target.url, ['--method', 'tools/call', '--tool-name', 'read-note', '--tool-arg', 'key=hello']);
        assert.equal(call.code, 0, `${target.name}: ${call.stderr}`);
        return { names: (list.json as { tools: { name: string }[] }).tools.map((t) => t.name).filter((n) => !isConformanceTool(n)), content: (call.json as { content: unknown }).content };
      },
      (r) => {
        assert.deepEqual(r.names, ['read-note', 'write-note', 'small', 'large', 'progress']);
        assert.deepEqual(r.content, [{ type: 'text', text: 'world' }]);
      },
    );
  });

  it('raw 2026-07-28 HTTP: matching Mcp-Method/Mcp-Name is served, a mismatch is 400 -32020, GET is 405', async () => {
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'read-note', arguments: { key: 'hello' }, _meta: ENVELOPE } };
    await targets.expectSame(
      async (target) => {
        const ok = await post2026(target.url, call, { 'mcp-method': 'tools/call', 'mcp-name': 'read-note' });
        const wrongMethod = await post2026(target.url, call, { 'mcp-method': 'tools/list', 'mcp-name': 'read-note' });
        const wrongName = await post2026(target.url, call, { 'mcp-method': 'tools/call', 'mcp-name': 'write-note' });
        const discover = await post2026(target.url, { jsonrpc: '2.0', id: 8, method: 'server/discover', params: { _meta: ENVELOPE } }, { 'mcp-method': 'server/discover' });
        const get = await fetch(target.url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' }, signal: AbortSignal.timeout(10_000) });
        await get.body?.cancel();
        return {
          ok: { status: ok.status, content: (ok.body.result as { content: unknown }).content },
          wrongMethod: { status: wrongMethod.status, code: wrongMethod.body.error?.code },
          wrongName: { status: wrongName.status, code: wrongName.body.error?.code },
          discover: { status: discover.status, versions: (discover.body.result as { supportedVersions?: string[] } | undefined)?.supportedVersions?.includes('2026-07-28') },
          get: get.status,
        };
      },
      (r) =>
        assert.deepEqual(r, {
          ok: { status: 200, content: [{ type: 'text', text: 'world' }] },
          wrongMethod: { status: 400, code: -32020 },
          wrongName: { status: 400, code: -32020 },
          discover: { status: 200, versions: true },
          get: 405,
        }),
    );
  });
});
