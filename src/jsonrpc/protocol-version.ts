import { Buffer, isUtf8 } from 'node:buffer';
import { WardenError } from '../errors/warden-error.ts';
import type { JsonRpcMessage } from './message.ts';

/** The MCP protocol revisions the proxy knows, oldest first. Revisions are dates, so they sort as strings. */
export const KNOWN_PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type KnownProtocolVersion = (typeof KNOWN_PROTOCOL_VERSIONS)[number];

/** The first revision of the stateless era: no sessions, no initialize, Mcp-Method/Mcp-Name headers. */
export const FIRST_STATELESS_VERSION = '2026-07-28';

const REVISION = /^\d{4}-\d{2}-\d{2}$/;

export function isKnownProtocolVersion(version: string | undefined): version is KnownProtocolVersion {
  return version !== undefined && (KNOWN_PROTOCOL_VERSIONS as readonly string[]).includes(version);
}

/** JSON-RPC batches exist only in 2025-03-26 (added there, removed in 2025-06-18). */
export function allowsBatch(version: string | undefined): boolean {
  return version === '2025-03-26';
}

/** 2026-07-28 and any later revision (a well-formed date string); undefined or malformed: no. */
export function isStatelessEra(version: string | undefined): boolean {
  return version !== undefined && REVISION.test(version) && version >= FIRST_STATELESS_VERSION;
}

/*
 * The 2026-07-28 standard request headers (SEP-2243, "HTTP header standardization for Streamable
 * HTTP"; MCP 2026-07-28, basic/transports/streamable-http). The rules below follow the reference
 * implementation in @modelcontextprotocol/server 2.x (node_modules/@modelcontextprotocol/server,
 * `validateStandardRequestHeaders`, `classifyRequestBody`, `classifyNotificationBody`,
 * `MCP_NAME_HEADER_SOURCE`, `decodeMcpParamValue`), which answers every disagreement with
 * -32020 `HeaderMismatch` on HTTP 400:
 * - Every request MUST carry `Mcp-Method` equal to the body's `method`; missing is a mismatch.
 * - A notification may omit `Mcp-Method`; if present it must equal the body's `method`.
 * - `Mcp-Name` mirrors params.name for tools/call and prompts/get, params.uri for resources/read,
 *   params.taskId for tasks/get, tasks/update and tasks/cancel. It is required when the body
 *   carries that value as a string, and must then equal it. Other methods ignore it.
 * - A header value may be `=?base64?<canonical base64 of UTF-8>?=` (how non-ASCII values travel);
 *   an invalid sentinel is a mismatch. Values are compared after stripping HTTP OWS (SP/HTAB).
 * - `Mcp-Param-{Name}` headers mirror tool arguments that the tool's inputSchema declares with
 *   `x-mcp-header`; checking them needs the tool's schema, so the upstream server checks them
 *   (the transports forward them unchanged). This function does not.
 * - Responses carry no such headers (2026-07-28 servers send no requests to clients).
 */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function checkMcpHeaders(headers: { method: string | undefined; name: string | undefined }, message: JsonRpcMessage): WardenError | undefined {
  if (!('method' in message)) return undefined;
  const method = message.method;
  const isRequest = 'id' in message;
  const methodHeader = headers.method === undefined ? undefined : stripOws(headers.method);
  if (methodHeader === undefined) {
    if (isRequest) return mismatch('Mcp-Method', 'required Mcp-Method header is missing');
  } else if (methodHeader !== method) {
    return mismatch('Mcp-Method', `Mcp-Method header names ${JSON.stringify(methodHeader)}, the body ${JSON.stringify(method)}`);
  }
  if (!isRequest) return undefined;
  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
  if (field === undefined) return undefined;
  const params = message.params;
  const raw = typeof params === 'object' && params !== null && !Array.isArray(params) && Object.hasOwn(params, field) ? params[field] : undefined;
  const bodyValue = typeof raw === 'string' ? raw : undefined;
  if (headers.name === undefined) {
    return bodyValue === undefined ? undefined : mismatch('Mcp-Name', `required Mcp-Name header is missing (params.${field} is set)`);
  }
  const decoded = decodeHeaderValue(stripOws(headers.name));
  if (decoded === undefined) return mismatch('Mcp-Name', 'Mcp-Name header carries an invalid base64 sentinel');
  if (bodyValue !== undefined && decoded !== bodyValue) return mismatch('Mcp-Name', `Mcp-Name header disagrees with params.${field}`);
  return undefined;
}

/** Decodes the `=?base64?…?=` sentinel form; other values are returned as they are. Undefined: invalid. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX)) || value.length < SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length) {
    return value;
  }
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!CANONICAL_BASE64.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** RFC 9110 optional whitespace (SP, HTAB) around a field value; a loop, not a backtracking regex. */
function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function mismatch(header: 'Mcp-Method' | 'Mcp-Name', detail: string): WardenError {
  // `data` names only the header; the detail (logs only) may name a tool the client is not allowed to know of.
  return new WardenError('WARDEN_ERR_HTTP_HEADER_MISMATCH', { detail, data: { header } });
}
