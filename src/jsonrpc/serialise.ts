import type { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcFailure, JsonRpcId, JsonRpcMessage } from './message.ts';

/** The JSON-RPC error response the proxy sends for a refusal (catalogue message and code only). */
export function errorResponse(id: JsonRpcId | null, error: WardenError): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error: error.toJsonRpcError() };
}

/**
 * The proxy's own serialisation of a message (used when a stage mutated it, or for replies it
 * makes itself). JSON.stringify escapes lone surrogates (ES2019), so the output is always
 * well-formed UTF-8 with no duplicate keys; a lone surrogate a stage put in a string comes out as
 * a `\uD800`-style escape, which a strict peer refuses, as it should.
 */
export function serialise(message: JsonRpcMessage): string {
  return JSON.stringify(message);
}
