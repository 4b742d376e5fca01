import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startRecordingUpstream } from '../../helpers/recording-upstream.ts';
import { startTestWarden, type TestWarden } from '../../helpers/warden.ts';
import { startRecordingSseUpstream, type RecordingSseUpstream } from './recording-sse-upstream.ts';

/**
 * "Requests over every transport and path": a denied tool call sent to every route mcp-warden
 * exposes and to variants of them (trailing and doubled slashes, case, percent-encoding, dot
 * segments, absolute-form targets, other HTTP methods, a GET with a body, the SSE message path
 * without or beside a session, WebSocket upgrades on path variants, its own ops paths). Requests
 * are written byte for byte on a raw socket so that no client library normalises the path first.
 * Three recording upstreams (Streamable HTTP, legacy SSE, WebSocket) record everything they
 * receive: none may ever see `get-env`.
 */
const CALL = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get-env', arguments: {} } });

/** One raw HTTP/1.1 request; resolves with the status line's code (0 if the socket closed first). */
async function rawRequest(port: number, method: string, target: string, body: string, extra = ''): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2025-11-25\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.write(head + body); // no half-close: mcp-warden takes an early FIN for a client that went away
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  // A stream (GET /sse, a GET /mcp stream) would stay open: the status line is all we need.
  await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 1_500))]);
  socket.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

describe('a denied tool over every route and path variant', { timeout: 120_000 }, () => {
  let http: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let sse: RecordingSseUpstream;
  let wsServer: WebSocketServer;
  const wsFrames: string[] = [];
  let warden: TestWarden;
  let port: number;

  before(async () => {
    http = await startRecordingUpstream();
    sse = await startRecordingSseUpstream([]);
    wsServer = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mcp' });
    await once(wsServer, 'listening');
    wsServer.on('connection', (ws) => ws.on('message', (d) => wsFrames.push(d.toString())));
    warden = await startTestWarden({
      upstreams: [
        { name: 'rec-http', url: http.url, transport: 'streamable-http', path: '/mcp' },
        { name: 'rec-sse', url: sse.url, transport: 'sse', path: '/sse' },
        { name: 'rec-ws', url: `ws://127.0.0.1:${(wsServer.address() as AddressInfo).port}/`, transport: 'websocket', path: '/ws' },
      ],
      policy: { bundle: 'policies/', data: { tools: { 'get-env': 'deny', echo: 'read' } } },
    });
    port = Number(new URL(warden.url('/')).port);
  });
  after(async () => {
    await warden?.close();
    await http?.close();
    await sse?.close();
    wsServer?.close();
  });

  /** Everything any upstream ever received, as text. */
  const seenUpstream = () => [...http.received.map((r) => `${r.method} ${r.url} ${r.body.toString()}`), ...sse.received.map((r) => `${r.method} ${r.url} ${r.body}`), ...wsFrames].join('\n');

  it('the harness works: an allowed call on the real path reaches the upstream, the denied one does not', async () => {
    assert.equal(await rawRequest(port, 'POST', '/mcp', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } })), 200);
    assert.match(seenUpstream(), /"echo"/);
    await rawRequest(port, 'POST', '/mcp', CALL(2));
    assert.doesNotMatch(seenUpstream(), /get-env/);
  });

  it('path variants and other methods on the HTTP routes never reach an upstream', async () => {
    const targets = [
      '/mcp/', '//mcp', '/MCP', '/Mcp', '/%6Dcp', '/%6dcp', '/mcp%2F', '/%2Fmcp', '/./mcp', '/x/../mcp', '/mcp/.', '/mcp;x', '/mcp%00', '/mcp%20', '/mcp\t',
      `http://127.0.0.1:${port}/mcp/`, `http://127.0.0.1:${port}//mcp`, '*',
      '/sse/', '/SSE', '/sse/message', '/sse/message?sessionId=', '/sse/message?sessionId=s1', '/sse/message/', '/SSE/message', '/sse//message', '/sse/%6Dessage',
      '/ws', '/ws/', '/WS', '/healthz', '/readyz', '/metrics', '/.well-known/oauth-protected-resource/mcp', '/', '/message', '/message?sessionId=s1',
    ];
    let id = 100;
    for (const target of targets) {
      for (const method of ['POST', 'PUT', 'PATCH', 'GET', 'DELETE']) {
        const status = await rawRequest(port, method, target, CALL(id++));
        const ops = method === 'GET' && ['/healthz', '/readyz', '/metrics'].includes(target); // mcp-warden's own answers
        assert.ok(status >= 400 || (ops && status === 200), `${method} ${target} → ${status}`);
      }
    }
    // The real paths with methods that carry no message: a GET (stream) or DELETE (session end) with a body.
    for (const [method, target] of [['GET', '/mcp'], ['DELETE', '/mcp'], ['GET', '/sse'], ['PUT', '/mcp'], ['PATCH', '/mcp']] as const) {
      await rawRequest(port, method, target, CALL(id++));
    }
    assert.doesNotMatch(seenUpstream(), /get-env/);
  });

  it('the legacy SSE message path beside a live session: variants of it and of its query never reach the upstream', async () => {
    const abort = new AbortController();
    const res = await fetch(warden.url('/sse'), { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!/sessionId=([^\s&]+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const sessionId = /sessionId=([^\s&]+)/.exec(text)![1]!;
    const variants = [
      `/sse/message/?sessionId=${sessionId}`, `/SSE/message?sessionId=${sessionId}`, `/sse//message?sessionId=${sessionId}`, `/sse/%6Dessage?sessionId=${sessionId}`,
      `/sse/message?sessionid=${sessionId}`, `/message?sessionId=${sessionId}`, `/sse?sessionId=${sessionId}`,
    ];
    let id = 500;
    for (const target of variants) assert.ok((await rawRequest(port, 'POST', target, CALL(id++))) >= 400, target);
    // The real endpoint: refused by policy, the upstream sees nothing.
    assert.equal(await rawRequest(port, 'POST', `/sse/message?sessionId=${sessionId}`, CALL(id++)), 202);
    assert.equal(await rawRequest(port, 'POST', `/sse/message?sessionId=${sessionId}&sessionId=other`, CALL(id++)), 202);
    abort.abort();
    assert.doesNotMatch(seenUpstream(), /get-env/);
  });

  it('WebSocket upgrades on path variants are refused; on the real path the frame is refused', async () => {
    for (const path of ['/ws/', '//ws', '/WS', '/%77s', '/mcp', '/sse']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, ['mcp']);
      const opened = await new Promise<boolean>((resolve) => {
        ws.on('open', () => resolve(true));
        ws.on('error', () => resolve(false)); // e.g. "Unexpected server response: 404"
        ws.on('close', () => resolve(false));
      });
      if (opened) ws.send(CALL(900));
      assert.equal(opened, false, `upgrade on ${path} was accepted`);
      ws.terminate();
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['mcp']);
    await once(ws, 'open');
    ws.send(CALL(901));
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.match(reply.toString(), /Forbidden by policy/);
    ws.terminate();
    assert.doesNotMatch(seenUpstream(), /get-env/);
  });
});
