import { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from './message.ts';

/**
 * Strict JSON-RPC 2.0 shape checks on an already strictly parsed value. Anything that is not
 * exactly one of request / notification / success / failure is refused, so that the proxy and the
 * peer behind it cannot disagree on what kind of message this is (a `method` + `result` hybrid is
 * a request to one implementation and a response to another).
 *
 * Choices beyond JSON-RPC 2.0, each for the "one parse" invariant:
 * - unknown top-level members are refused (the MCP SDKs' own schemas are strict too);
 * - an integer id outside ±(2^53 - 1) is refused: JavaScript would round it, so two different
 *   ids on the wire would correlate as one;
 * - `result` must be an object (MCP results always are), `params` an object or array.
 */
export interface ValidatedMessages {
  messages: JsonRpcMessage[];
  batch: boolean;
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESPONSE_KEYS = new Set(['jsonrpc', 'id', 'result', 'error']);
const ERROR_KEYS = new Set(['code', 'message', 'data']);

export function toMessages(value: unknown, options: { allowBatch: boolean }): ValidatedMessages {
  if (Array.isArray(value)) {
    if (!options.allowBatch) throw new WardenError('WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN');
    if (value.length === 0) throw new WardenError('WARDEN_ERR_JSONRPC_EMPTY_BATCH');
    const messages: JsonRpcMessage[] = [];
    for (let index = 0; index < value.length; index++) {
      const problem = problemWith(value[index]);
      if (problem !== undefined) invalid(`batch element ${index}: ${problem}`, index);
      messages.push(value[index] as JsonRpcMessage);
    }
    return { messages, batch: true };
  }
  const problem = problemWith(value);
  if (problem !== undefined) invalid(problem);
  return { messages: [value as JsonRpcMessage], batch: false };
}

/** True when `value` is exactly one valid JSON-RPC 2.0 message (no batch). */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return problemWith(value) === undefined;
}

function invalid(detail: string, index?: number): never {
  throw new WardenError('WARDEN_ERR_JSONRPC_INVALID_REQUEST', { detail, data: index === undefined ? undefined : { batch_index: index } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(id: unknown): boolean {
  if (typeof id === 'string') return true;
  if (typeof id !== 'number' || !Number.isFinite(id)) return false;
  return !Number.isInteger(id) || Number.isSafeInteger(id);
}

/** Why `value` is not a JSON-RPC message, or undefined when it is one. */
function problemWith(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'a message must be a JSON object';
  const has = (key: string): boolean => Object.hasOwn(value, key);
  if (!has('jsonrpc') || value.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if (has('method')) {
    for (const key of Object.keys(value)) if (!REQUEST_KEYS.has(key)) return `unexpected member "${key}" in a request`;
    if (typeof value.method !== 'string') return 'method must be a string';
    if (has('params') && typeof value.params !== 'object') return 'params must be an object or an array';
    if (has('params') && value.params === null) return 'params must be an object or an array';
    if (has('id') && !isValidId(value.id)) return 'a request id must be a string or a finite number (and never null)';
    return undefined;
  }
  for (const key of Object.keys(value)) if (!RESPONSE_KEYS.has(key)) return `unexpected member "${key}" in a response`;
  if (!has('id')) return 'a response must have an id';
  const hasResult = has('result');
  const hasError = has('error');
  if (hasResult === hasError) return 'a response must have exactly one of result and error';
  if (hasResult) {
    if (!isValidId(value.id)) return 'a result response id must be a string or a finite number';
    if (!isPlainObject(value.result)) return 'result must be an object';
    return undefined;
  }
  if (value.id !== null && !isValidId(value.id)) return 'an error response id must be a string, a finite number or null';
  const error = value.error;
  if (!isPlainObject(error)) return 'error must be an object';
  for (const key of Object.keys(error)) if (!ERROR_KEYS.has(key)) return `unexpected member "${key}" in error`;
  if (typeof error.code !== 'number' || !Number.isSafeInteger(error.code)) return 'error.code must be an integer';
  if (typeof error.message !== 'string') return 'error.message must be a string';
  return undefined;
}
