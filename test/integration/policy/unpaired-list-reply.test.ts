import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer, type WebSocket as UpstreamSocket } from 'ws';
import { startRecordingUpstream, type RecordedRequest } from '../../helpers/recording-upstream.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';

/**
 * An upstream that answers what nobody asked (an id never sent, or a request mcp-warden already
 * forgot: evicted past 1024 pending) with a tools list holding a denied tool. Such a reply is not
 * covered by list filtering, so mcp-warden must refuse it: the client (a real WebSocket client)
 * never receives it, and the refusal arrives at the audit file sink. A real `ws` upstream sends
 * the frames; WebSocket is the transport on which an upstream can send at any time.
 */
const TOOLS = [
  { name: 'echo', description: 'Echoes', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-env', description: 'Dumps the environment', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
];

describe('unpaired list replies (WebSocket, real ws upstream)', { timeout: 60_000 }, () => {
  let dir: string;
  let upstreamServer: WebSocketServer;
  let upstreamSocket: UpstreamSocket | undefined;
  const held: number[] = [];
  let warden: TestWarden | undefined;
  let client: WebSocket;
  const replies: Record<string, unknown>[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-unpaired-'));
    upstreamServer = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mcp' });
    await once(upstreamServer, 'listening');
    upstreamServer.on('connection', (ws) => {
      upstreamSocket = ws;
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { id?: number; method?: string };
        if (m.id === undefined) return;
        if (m.id >= 1000) return void held.push(m.id); // left unanswered for now
        const result = m.method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'rec', version: '1' } } : m.method === 'tools/list' ? { tools: TOOLS } : {};
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      });
    });
    const { port } = upstreamServer.address() as AddressInfo;
    warden = await startTestWarden({
      upstreams: [{ name: 'rec', url: `ws://127.0.0.1:${port}/`, transport: 'websocket', path: '/ws' }],
      policy: { bundle: 'policies/', data: { tools: { 'get-env': 'deny' } } },
      audit: { replica_id: 'unpaired', spool: { dir: join(dir, 'spool'), fsync: 'batched', fsync_interval_ms: 20 }, sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] },
    });
    client = new WebSocket(warden.url('/ws').replace(/^http/, 'ws'), ['mcp']);
    client.on('message', (data) => replies.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await once(client, 'open');
    await request({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  });
  after(async () => {
    client?.terminate();
    await warden?.close();
    upstreamServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function waitFor(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond(), what);
  }

  async function request(message: { id: number; [k: string]: unknown }): Promise<Record<string, unknown>> {
    client.send(JSON.stringify(message));
    await waitFor(() => replies.some((r) => r.id === message.id), `no reply to ${JSON.stringify(message)}`);
    return replies.find((r) => r.id === message.id)!;
  }

  /** Nothing but the uniform policy error ever reached the client under this id (WebSocket replaces a refused response with it). */
  function assertRefused(id: number): void {
    for (const r of replies.filter((x) => x.id === id)) {
      assert.deepEqual(r, { jsonrpc: '2.0', id, error: { code: -32003, message: 'Forbidden by policy', data: { warden_code: 'WARDEN_ERR_POLICY_DENIED' } } });
    }
  }

  /** A ping after the frame under test: frames are relayed in order, so its reply proves the earlier frame was dealt with. */
  async function barrier(id: number): Promise<void> {
    await request({ jsonrpc: '2.0', id, method: 'ping' });
  }

  it('a paired tools/list reply is filtered (the harness works)', async () => {
    const reply = (await request({ jsonrpc: '2.0', id: 2, method: 'tools/list' })) as { result: { tools: { name: string }[] } };
    assert.deepEqual(reply.result.tools.map((t) => t.name), ['echo']);
  });

  it('a tools list answering an id the client never sent never reaches the client', async () => {
    upstreamSocket!.send(JSON.stringify({ jsonrpc: '2.0', id: 777, result: { tools: TOOLS } }));
    upstreamSocket!.send(JSON.stringify({ jsonrpc: '2.0', id: 778, result: { prompts: [{ name: 'hidden-prompt' }] } }));
    await barrier(3);
    assertRefused(777);
    assertRefused(778);
    assert.ok(!JSON.stringify(replies).includes('get-env') && !JSON.stringify(replies).includes('hidden-prompt'));
  });

  it('a tools list answering a request mcp-warden evicted (1025 pending) never reaches the client', async () => {
    for (let id = 1000; id <= 2024; id++) client.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }));
    await waitFor(() => held.length === 1025, `upstream got ${held.length} of 1025 held requests`);
    upstreamSocket!.send(JSON.stringify({ jsonrpc: '2.0', id: 1000, result: { tools: TOOLS } })); // evicted: the oldest
    upstreamSocket!.send(JSON.stringify({ jsonrpc: '2.0', id: 2024, result: { tools: TOOLS } })); // still paired
    await waitFor(() => replies.some((r) => r.id === 2024), 'the paired reply arrives');
    assertRefused(1000);
    const paired = replies.find((r) => r.id === 2024) as { result: { tools: { name: string }[] } };
    assert.deepEqual(paired.result.tools.map((t) => t.name), ['echo']);
  });

  it('each refusal is an audit event at the file sink', async () => {
    await warden!.close(); // flushes the spool to the sink
    warden = undefined;
    type AuditEvent = { status: string; status_code?: string; unmapped: { mcp: { kind?: string; direction?: string; jsonrpc_id?: unknown } } };
    const events = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    const refused = events.filter((e) => e.unmapped.mcp.kind === 'response' && e.unmapped.mcp.direction === 'to_client' && e.status === 'Failure');
    assert.deepEqual(refused.map((e) => [e.unmapped.mcp.jsonrpc_id, e.status_code]), [[777, 'WARDEN_ERR_POLICY_DENIED'], [778, 'WARDEN_ERR_POLICY_DENIED'], [1000, 'WARDEN_ERR_POLICY_DENIED']]);
  });
});

describe('unpaired list replies (Streamable HTTP, recording upstream)', { timeout: 60_000 }, () => {
  /** Answers a tools/call with an SSE stream that first carries a tools list for an id never sent. */
  function reply(req: RecordedRequest, res: ServerResponse): void {
    const m = JSON.parse(req.body.toString()) as { id?: number; method?: string };
    if (m.id === undefined) return void res.writeHead(202).end();
    const event = (message: unknown) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (m.method === 'tools/call') res.write(event({ jsonrpc: '2.0', id: 888, result: { tools: TOOLS } }));
    res.end(event({ jsonrpc: '2.0', id: m.id, result: m.method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'rec', version: '1' } } : { content: [{ type: 'text', text: 'ran' }] } }));
  }

  it('a tools list slipped into the reply stream of another request never reaches the client as a list', async () => {
    const upstream = await startRecordingUpstream(reply);
    const warden = await startTestWarden({ upstreams: [{ name: 'rec', url: upstream.url, transport: 'streamable-http', path: '/mcp' }], policy: { bundle: 'policies/', data: { tools: { echo: 'read', 'get-env': 'deny' } } } });
    try {
      const res = await fetch(warden.url('/mcp'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: {} } }),
      });
      const text = await res.text();
      assert.match(text, /"id":5,"result":\{"content"/, 'the real reply arrives');
      assert.doesNotMatch(text, /get-env|"tools"/, text);
      assert.equal(upstream.received.length, 1);
    } finally {
      await warden.close();
      await upstream.close();
    }
  });
});
