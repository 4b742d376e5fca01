/**
 * The JSON encoding OPA hashes a bundle's `.json` files with (bundle signing): keys sorted, no
 * whitespace, no HTML escaping, U+2028/U+2029 escaped as Go's encoding/json does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return primitive(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${primitive(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

function primitive(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error('value is not JSON');
  return typeof value === 'string' ? text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : text;
}
