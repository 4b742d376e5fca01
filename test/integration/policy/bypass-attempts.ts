/**
 * Ways to try to reach the denied tool `get-env` (or the unlisted write `delete-everything`) anyway:
 * name variants (case, whitespace, a Cyrillic lookalike, a \\u escape), duplicate keys, a
 * notification instead of a request, a method-name variant, a non-string name. Every transport's
 * bypass test sends each of these; none may reach the upstream.
 */
export const BYPASS_ATTEMPTS: readonly string[] = [
  JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'get-env' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'GET-ENV' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/call', params: { name: ' get-env' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'tools/call', params: { name: 'g\u0435t-env' } }),
  '{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"\\u0067et-env"}}',
  '{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"echo","name":"get-env"}}',
  JSON.stringify({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'get-env' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 16, method: 'Tools/Call', params: { name: 'get-env' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 17, method: 'tools/call', params: { name: 'delete-everything' } }),
  JSON.stringify({ jsonrpc: '2.0', id: 18, method: 'tools/call', params: { name: ['get-env'] } }),
];
