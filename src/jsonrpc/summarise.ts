import { messageKind, type JsonRpcMessage } from './message.ts';
import type { McpSummary } from './summary.ts';

/** Which params member names the target of a request, per method (only string values count). */
const TARGETS: Readonly<Record<string, { readonly field: 'tool' | 'resourceUri' | 'prompt'; readonly param: 'name' | 'uri' }>> = {
  'tools/call': { field: 'tool', param: 'name' },
  'resources/read': { field: 'resourceUri', param: 'uri' },
  'resources/subscribe': { field: 'resourceUri', param: 'uri' },
  'resources/unsubscribe': { field: 'resourceUri', param: 'uri' },
  'prompts/get': { field: 'prompt', param: 'name' },
};

/**
 * The typed summary of one validated message, built once and shared by policy, logs, metrics and
 * audit. A target that is not a string (a number, an object) is left undefined on purpose: policy
 * then has nothing to allow and denies.
 *
 * `requestMethod` is the method of the request a response answers (from the correlator); a
 * response carries no method of its own.
 */
export function summarise(message: JsonRpcMessage, requestMethod?: string): McpSummary {
  const kind = messageKind(message);
  if (kind === 'response') {
    const response = message as { id: string | number | null; result?: unknown; error?: unknown };
    const isError = Object.hasOwn(response, 'error') || resultIsError(response.result);
    return { kind, method: requestMethod, id: response.id, tool: undefined, resourceUri: undefined, prompt: undefined, isError };
  }
  const request = message as { method: string; id?: string | number; params?: unknown };
  const target = Object.hasOwn(TARGETS, request.method) ? TARGETS[request.method] : undefined;
  let tool: string | undefined;
  let resourceUri: string | undefined;
  let prompt: string | undefined;
  if (target !== undefined) {
    const value = stringParam(request.params, target.param);
    if (target.field === 'tool') tool = value;
    else if (target.field === 'resourceUri') resourceUri = value;
    else prompt = value;
  }
  return {
    kind,
    method: request.method,
    id: kind === 'request' ? request.id : undefined,
    tool,
    resourceUri,
    prompt,
    isError: false,
  };
}

function stringParam(params: unknown, name: string): string | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params) || !Object.hasOwn(params, name)) return undefined;
  const value = (params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** A tool result that reports failure in-band (`isError: true`), which MCP uses for tool errors. */
function resultIsError(result: unknown): boolean {
  return typeof result === 'object' && result !== null && Object.hasOwn(result, 'isError') && (result as { isError: unknown }).isError === true;
}
