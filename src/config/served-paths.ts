/**
 * Which URL paths the MCP listener serves, in one place, so that the config check and the router
 * agree. Paths are matched exactly (no normalisation), so a collision is two equal strings.
 */

/** Answered by mcp-warden itself on GET, before any upstream route. */
export const OPS_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

/** RFC 9728 metadata lives here (authn/resource-metadata.ts); no upstream may sit under it. */
export const WELL_KNOWN_PREFIX = '/.well-known/';

/** The POST endpoint of a legacy SSE upstream: its stream path plus `/message`. */
export function legacyMessagePath(streamPath: string): string {
  return `${streamPath.replace(/\/$/, '')}/message`;
}

/** Every path one upstream is served on. */
export function servedPaths(upstream: { path: string; transport: string }): string[] {
  return upstream.transport === 'sse' ? [upstream.path, legacyMessagePath(upstream.path)] : [upstream.path];
}

/** Why this path cannot be an upstream's, or undefined when it can. */
export function reservedPathReason(path: string): string | undefined {
  if (OPS_PATHS.includes(path)) return `${path} is mcp-warden's own (health, readiness, metrics)`;
  if (path === WELL_KNOWN_PREFIX.slice(0, -1) || path.startsWith(WELL_KNOWN_PREFIX)) return `${WELL_KNOWN_PREFIX} is reserved for the protected resource metadata`;
  return undefined;
}
