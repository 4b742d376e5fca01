/**
 * The one catalogue of mcp-warden errors (in the manner of fastify's FST_ERR_*).
 *
 * Every refusal the proxy makes names one of these codes. Each code maps to a JSON-RPC error code
 * (what the client's MCP library sees) and an HTTP status (used when the refusal happens at the
 * HTTP layer, before or instead of a JSON-RPC exchange). `test/unit/errors/catalogue.test.ts`
 * checks that every code is documented in docs/errors.md.
 *
 * JSON-RPC codes: -32700/-32600/-32601/-32602/-32603 are the JSON-RPC 2.0 standard ones; -32020 is
 * the MCP 2026-07-28 header mismatch code; -32001..-32019 are mcp-warden's own, stable.
 */
export interface ErrorSpec {
  readonly jsonrpcCode: number;
  readonly httpStatus: number;
  readonly message: string;
}

export const ERRORS = {
  // --- JSON-RPC parsing (the "one parse" invariant) ---
  WARDEN_ERR_JSONRPC_PARSE: { jsonrpcCode: -32700, httpStatus: 400, message: 'Parse error: body is not valid JSON' },
  WARDEN_ERR_JSONRPC_DUPLICATE_KEY: { jsonrpcCode: -32700, httpStatus: 400, message: 'Parse error: duplicate object key' },
  WARDEN_ERR_JSONRPC_INVALID_UTF8: { jsonrpcCode: -32700, httpStatus: 400, message: 'Parse error: body is not valid UTF-8' },
  WARDEN_ERR_JSONRPC_LONE_SURROGATE: { jsonrpcCode: -32700, httpStatus: 400, message: 'Parse error: string contains a lone surrogate' },
  WARDEN_ERR_JSONRPC_INVALID_REQUEST: { jsonrpcCode: -32600, httpStatus: 400, message: 'Invalid Request: not a JSON-RPC 2.0 message' },
  WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN: { jsonrpcCode: -32600, httpStatus: 400, message: 'Invalid Request: batches are not allowed in this protocol version' },
  WARDEN_ERR_JSONRPC_EMPTY_BATCH: { jsonrpcCode: -32600, httpStatus: 400, message: 'Invalid Request: empty batch' },
  WARDEN_ERR_JSONRPC_DUPLICATE_ID: { jsonrpcCode: -32600, httpStatus: 400, message: 'Invalid Request: a request with this id is still pending' },
  WARDEN_ERR_JSONRPC_NESTING: { jsonrpcCode: -32600, httpStatus: 400, message: 'Invalid Request: JSON nested too deeply' },

  // --- HTTP framing ---
  WARDEN_ERR_HTTP_CONTENT_TYPE: { jsonrpcCode: -32600, httpStatus: 415, message: 'Unsupported Media Type: Content-Type must be application/json' },
  WARDEN_ERR_HTTP_CONTENT_ENCODING: { jsonrpcCode: -32600, httpStatus: 415, message: 'Unsupported Media Type: Content-Encoding is not accepted' },
  WARDEN_ERR_HTTP_METHOD: { jsonrpcCode: -32600, httpStatus: 405, message: 'Method Not Allowed' },
  WARDEN_ERR_HTTP_NOT_FOUND: { jsonrpcCode: -32600, httpStatus: 404, message: 'Not Found' },
  WARDEN_ERR_HTTP_HOST: { jsonrpcCode: -32600, httpStatus: 403, message: 'Forbidden: Host header is not allowed' },
  WARDEN_ERR_HTTP_ORIGIN: { jsonrpcCode: -32600, httpStatus: 403, message: 'Forbidden: Origin is not allowed' },
  WARDEN_ERR_HTTP_HEADER_MISMATCH: { jsonrpcCode: -32020, httpStatus: 400, message: 'Header mismatch: Mcp-Method or Mcp-Name disagrees with the body' },
  WARDEN_ERR_HTTP_SHUTTING_DOWN: { jsonrpcCode: -32603, httpStatus: 503, message: 'Service Unavailable: mcp-warden is shutting down' },

  // --- Size limits (both directions) ---
  WARDEN_ERR_SIZE_REQUEST_TOO_LARGE: { jsonrpcCode: -32600, httpStatus: 413, message: 'Payload Too Large: message exceeds the configured limit' },
  WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE: { jsonrpcCode: -32603, httpStatus: 502, message: 'Upstream message exceeds the configured limit and was not forwarded' },

  // --- Upstream ---
  WARDEN_ERR_UPSTREAM_UNAVAILABLE: { jsonrpcCode: -32603, httpStatus: 502, message: 'Bad Gateway: upstream MCP server is unavailable' },
  WARDEN_ERR_UPSTREAM_TIMEOUT: { jsonrpcCode: -32603, httpStatus: 504, message: 'Gateway Timeout: upstream MCP server did not answer in time' },
  WARDEN_ERR_UPSTREAM_HTTP_STATUS: { jsonrpcCode: -32603, httpStatus: 502, message: 'Upstream refused the request' },
  WARDEN_ERR_UPSTREAM_PROTOCOL: { jsonrpcCode: -32603, httpStatus: 502, message: 'Bad Gateway: upstream sent a message that could not be inspected' },

  // --- Authentication ---
  WARDEN_ERR_AUTHN_REQUIRED: { jsonrpcCode: -32001, httpStatus: 401, message: 'Unauthorized: credentials are missing or invalid' },
  WARDEN_ERR_AUTHN_INSUFFICIENT_SCOPE: { jsonrpcCode: -32001, httpStatus: 403, message: 'Forbidden: insufficient scope' },
  WARDEN_ERR_AUTHN_TOKEN_IN_QUERY: { jsonrpcCode: -32001, httpStatus: 400, message: 'Bad Request: credentials must not be sent in the query string' },
  WARDEN_ERR_AUTHN_RATE_LIMITED: { jsonrpcCode: -32001, httpStatus: 429, message: 'Too Many Requests: too many failed authentication attempts' },
  WARDEN_ERR_SESSION_UNKNOWN: { jsonrpcCode: -32001, httpStatus: 404, message: 'Session not found' },
  WARDEN_ERR_SESSION_LIMIT: { jsonrpcCode: -32001, httpStatus: 429, message: 'Too Many Requests: this principal has too many open sessions' },

  // --- Policy (uniform: never reveals whether a hidden tool exists) ---
  WARDEN_ERR_POLICY_DENIED: { jsonrpcCode: -32003, httpStatus: 403, message: 'Forbidden by policy' },

  // --- Redaction ---
  WARDEN_ERR_REDACT_BLOCKED: { jsonrpcCode: -32004, httpStatus: 403, message: 'Response withheld: it contained data that policy does not allow' },

  // --- Audit ---
  WARDEN_ERR_AUDIT_SPOOL_FULL: { jsonrpcCode: -32005, httpStatus: 503, message: 'Service Unavailable: audit spool is full' },
  WARDEN_ERR_AUDIT_UNAVAILABLE: { jsonrpcCode: -32005, httpStatus: 503, message: 'Service Unavailable: the audit event could not be recorded' },

  // --- Internal ---
  WARDEN_ERR_INTERNAL_ERROR: { jsonrpcCode: -32603, httpStatus: 500, message: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
