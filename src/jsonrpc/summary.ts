import type { JsonRpcId, MessageKind } from './message.ts';

/**
 * The typed MCP summary of one message (agentgateway style): what policy, logs, metrics and audit
 * need, extracted once. Built by jsonrpc/summarise.ts.
 */
export interface McpSummary {
  readonly kind: MessageKind;
  /** For requests and notifications; for responses, the method of the request they answer (if known). */
  readonly method: string | undefined;
  readonly id: JsonRpcId | null | undefined;
  /** tools/call: params.name */
  readonly tool: string | undefined;
  /** resources/read, resources/subscribe: params.uri */
  readonly resourceUri: string | undefined;
  /** prompts/get: params.name */
  readonly prompt: string | undefined;
  /** Responses: true for a JSON-RPC error, or a tools/call result with isError: true. */
  readonly isError: boolean;
}
