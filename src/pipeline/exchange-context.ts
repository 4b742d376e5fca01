import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import type { Principal } from './principal.ts';
import type { McpSummary } from '../jsonrpc/summary.ts';

export type Direction = 'to_server' | 'to_client';
export type TransportName = 'streamable-http' | 'sse' | 'websocket';

/** Facts about the connection/HTTP request a message arrived on. Shared by every message on it. */
export interface ConnectionInfo {
  readonly transport: TransportName;
  /** Name of the upstream (config `upstreams[].name`). */
  readonly upstream: string;
  readonly clientIp: string;
  readonly userAgent: string | undefined;
  /** Negotiated or declared MCP-Protocol-Version, when known. */
  protocolVersion: string | undefined;
  /** Mcp-Session-Id, legacy SSE sessionId, or the WebSocket connection id. */
  sessionId: string | undefined;
  principal: Principal;
}

/**
 * One message's trip through the pipeline. Created by a transport, filled by stages.
 *
 * `message` is the parsed message as it stands (a stage may replace it with `mutate`); `raw` is the
 * exact bytes it was parsed from, and is dropped as soon as a stage mutates the message, so that a
 * transport forwards either the evaluated bytes or its own re-serialisation (the "one parse" rule).
 */
export interface MessageContext {
  /** Unique per message; the decision id carried by logs and audit. */
  readonly decisionId: string;
  readonly direction: Direction;
  readonly connection: ConnectionInfo;
  readonly receivedAt: number; // performance.now()
  message: JsonRpcMessage;
  raw: Buffer | undefined;
  summary: McpSummary;
  /** For a response: the context of the request it answers (same session), if the proxy saw it. */
  readonly request: MessageContext | undefined;
  /** Stage scratchpad, keyed by stage name (e.g. `policy` stores its decision, `redact` its counts). */
  readonly notes: Map<string, unknown>;
}
