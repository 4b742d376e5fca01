import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * A small real MCP server (SDK v1, Streamable HTTP, replies streamed as SSE) that returns PII in
 * every place an upstream can put it: tool result text, structuredContent, an embedded resource,
 * resources/read contents, prompts/get messages, an error message and error.data, a notification,
 * and a server→client request (sampling/createMessage). All tools are annotated read-only so the
 * default policy lets the anonymous viewer call them.
 */
export const PII = {
  email: 'jane.roe@example.org',
  card: '4111 1111 1111 1111',
  ssn: '078-05-1121',
  iban: 'GB82 WEST 1234 5698 7654 32',
  phone: '+44 20 7946 0958',
  ip: '203.0.113.42',
  password: 'hunter2-Secret!',
};
export const ALL_VALUES = Object.values(PII);
const TEXT = `name Jane Roe, mail ${PII.email}, card ${PII.card}, ssn ${PII.ssn}, iban ${PII.iban}, phone ${PII.phone}, ip ${PII.ip}, password=${PII.password}`;
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };

function buildServer(): McpServer {
  const server = new McpServer({ name: 'pii-fixture', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('pii-everywhere', { description: 'returns PII in text, structured content and an embedded resource', annotations: READ_ONLY, outputSchema: { email: z.string(), card: z.string(), nested: z.object({ ssn: z.string() }) } }, async (extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `processing for ${PII.email}` } });
    return {
      content: [
        { type: 'text', text: TEXT },
        { type: 'resource', resource: { uri: 'mem://customer', mimeType: 'text/plain', text: `customer ${PII.iban}` } },
      ],
      structuredContent: { email: PII.email, card: PII.card, nested: { ssn: PII.ssn } },
    };
  });
  server.registerTool('pii-error', { description: 'fails with PII in the error', annotations: READ_ONLY }, async () => {
    throw new McpError(-32050, `lookup failed for ${PII.email}`, { card: PII.card, ip: PII.ip });
  });
  server.registerTool('pii-sampling', { description: 'asks the client to sample a message that contains PII', annotations: READ_ONLY }, async () => {
    const reply = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: `summarise ${TEXT}` } }], maxTokens: 50 });
    return { content: [{ type: 'text', text: `sampled: ${reply.content.type === 'text' ? reply.content.text : ''}` }] };
  });
  server.registerResource('customer', 'mem://customer', { mimeType: 'text/plain', description: 'a customer record' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: TEXT }],
  }));
  server.registerPrompt('customer-prompt', { description: 'a prompt that embeds PII' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Write to ${PII.email} about card ${PII.card}` } }],
  }));
  return server;
}

export interface PiiFixture {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the fixture on 127.0.0.1, port 0, in this process (one session per initialize). */
export async function startPiiFixture(): Promise<PiiFixture> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer(async (req, res) => {
    try {
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (transport === undefined) {
        transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport as StreamableHTTPServerTransport) });
        await buildServer().connect(transport);
      }
      await transport.handleRequest(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
