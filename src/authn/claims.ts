/**
 * Claim paths (`realm_access.roles`, `scope`) into a JWT payload. A path is dot-separated; a key
 * that itself contains dots (e.g. a namespaced claim `https://example.com/roles`) is tried whole
 * first, so both styles work.
 */
export function claimAt(payload: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Roles or scopes: an array of strings, or one string separated by spaces (OAuth `scope`) or commas. */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}
