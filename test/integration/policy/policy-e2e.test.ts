import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashAdminToken } from '../../../src/admin/admin-token.ts';
import { connectClient, startEverything, startSupergatewayWs, type ClientTransportKind, type RunningPeer } from '../../helpers/peers.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * The decision point end to end: mcp-warden in front of server-everything on every transport, the
 * default policy compiled from policies/, an SDK client as the MCP client, and the admin listener
 * that serve starts (admin token from the config) to turn edit mode on.
 */
const TOKEN = 'e2e-admin-token';

const POLICY_DATA = {
  tools: { 'get-env': 'deny' },
  // auth.mode none: the anonymous caller is granted operator so that edit mode can apply to it
  principals: { anonymous: { roles: ['operator'] } },
};

const cases: { transport: ClientTransportKind; path: string; start: () => Promise<RunningPeer> }[] = [
  { transport: 'streamable-http', path: '/mcp', start: () => startEverything('streamableHttp') },
  { transport: 'sse', path: '/sse', start: () => startEverything('sse') },
  { transport: 'websocket', path: '/ws', start: () => startSupergatewayWs() },
];

function isDenied(err: unknown): boolean {
  return (err as { code?: unknown }).code === -32003 && /Forbidden by policy/.test(String((err as Error).message));
}

for (const { transport, path, start } of cases) {
  describe(`policy end to end (${transport})`, () => {
    let upstream: RunningPeer;
    let warden: TestWarden;
    let adminUrl: string;
    let url: string;

    before(async () => {
      upstream = await start();
      warden = await startTestWarden({
        upstreams: [{ name: 'everything', url: upstream.url, transport, path }],
        policy: { bundle: 'policies/', data: POLICY_DATA, edit_mode: { default_minutes: 15, max_minutes: 60 } },
        admin: { host: '127.0.0.1', port: 0, token_sha256: hashAdminToken(TOKEN) },
      });
      assert.ok(warden.adminUrl);
      adminUrl = warden.adminUrl;
      url = transport === 'websocket' ? warden.url(path).replace(/^http/, 'ws') : warden.url(path);
    });
    after(async () => {
      await warden?.close();
      await upstream?.close();
    });

    async function editMode(method: 'POST' | 'DELETE', minutes?: number): Promise<void> {
      const res = await fetch(`${adminUrl}/v1/edit-mode${method === 'DELETE' ? '?upstream=everything' : ''}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ upstream: 'everything', minutes }) } : {}),
      });
      assert.equal(res.status, 200, await res.text());
    }

    async function editModeStatus(): Promise<{ edit: boolean }> {
      const res = await fetch(`${adminUrl}/v1/edit-mode?upstream=everything`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await res.json()) as { upstreams: { edit: boolean }[] }).upstreams[0] as { edit: boolean };
    }

    it('tools/list shows exactly the callable tools; get-env is refused; a read tool is allowed; writes wait for edit mode', async () => {
      const client = await connectClient(url, transport);
      try {
        const listed = (await client.listTools()).tools;
        const names = listed.map((t) => t.name).sort();
        const readOnly = listed.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name);
        assert.ok(names.length > 0);
        assert.ok(!names.includes('get-env'), 'a denied tool is not listed');
        assert.deepEqual(names, readOnly.sort(), 'outside edit mode only read tools are listed');

        const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
        assert.match(JSON.stringify(sum.content), /42/);

        await assert.rejects(client.callTool({ name: 'get-env', arguments: {} }), isDenied);
        await assert.rejects(client.callTool({ name: 'GET-ENV', arguments: {} }), isDenied);
        await assert.rejects(client.callTool({ name: 'toggle-simulated-logging', arguments: {} }), isDenied);
        await assert.rejects(client.callTool({ name: 'no-such-tool', arguments: {} }), isDenied);
      } finally {
        await client.close();
      }
    });

    it('the admin API refuses the anonymous caller and is not on the MCP listener', async () => {
      assert.equal((await fetch(`${adminUrl}/v1/edit-mode`)).status, 401);
      const onMcp = await fetch(warden.url('/v1/edit-mode'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"upstream":"everything"}' });
      assert.notEqual(onMcp.status, 200);
      assert.equal((await editModeStatus()).edit, false);
    });

    it('edit mode allows writes for its window, then they are refused again when it expires', async () => {
      const client = await connectClient(url, transport);
      try {
        await client.listTools();
        await assert.rejects(client.callTool({ name: 'toggle-simulated-logging', arguments: {} }), isDenied);
        await editMode('POST', 0.05); // three seconds
        const inEdit = (await client.listTools()).tools.map((t) => t.name);
        assert.ok(inEdit.includes('toggle-simulated-logging'), 'write tools are listed in edit mode');
        assert.ok(!inEdit.includes('get-env'));
        const toggled = await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
        assert.ok(!toggled.isError);
        await assert.rejects(client.callTool({ name: 'get-env', arguments: {} }), isDenied);
        await new Promise((r) => setTimeout(r, 3_200));
        await assert.rejects(client.callTool({ name: 'toggle-simulated-logging', arguments: {} }), isDenied);
        await editMode('POST', 5);
        await editMode('DELETE');
        await assert.rejects(client.callTool({ name: 'toggle-simulated-logging', arguments: {} }), isDenied);
      } finally {
        await client.close();
      }
    });
  });
}
