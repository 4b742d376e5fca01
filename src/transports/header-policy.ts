import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Headers cross mcp-warden only by allowlist. The client's Authorization, cookies and API-key
 * headers never reach the upstream (the MCP spec forbids token passthrough), and the client's Host
 * is never forwarded (undici sets the upstream's own).
 */
const TO_UPSTREAM = ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name'];
const TO_CLIENT = ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control', 'allow'];

export function upstreamRequestHeaders(client: IncomingHttpHeaders, injected: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TO_UPSTREAM) {
    const value = client[name];
    if (typeof value === 'string') out[name] = value;
  }
  for (const [name, value] of Object.entries(client)) {
    if (name.startsWith('mcp-param-') && typeof value === 'string') out[name] = value;
  }
  for (const [name, value] of Object.entries(injected)) out[name.toLowerCase()] = value;
  return out;
}

export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of TO_CLIENT) {
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A single-valued header as a string (repeated headers are refused elsewhere where it matters). */
export function headerValue(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
