import type { OcsfEvent } from '../ocsf-event.ts';

/**
 * Elastic Common Schema (8.x) rendering of an OCSF audit event. Standard ECS fields where ECS has
 * them (event.*, user.*, source.ip, user_agent.original, rule.*, error.*, observer.*); the MCP,
 * decision and chain details under the custom `mcp_warden` field set.
 */
type Obj = Record<string, unknown>;
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

function prune(o: Obj): Obj {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) delete o[k];
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      prune(v as Obj);
      if (Object.keys(v as Obj).length === 0) delete o[k];
    }
  }
  return o;
}

export function toEcs(e: OcsfEvent): Obj {
  const decision = get(e, 'unmapped.decision') as Obj | undefined;
  const status = e.status_id === 1 ? 'success' : e.status_id === 2 ? 'failure' : 'unknown';
  const allowed = decision?.allow;
  const duration = typeof e.duration === 'number' ? e.duration * 1_000_000 : undefined;
  return prune({
    '@timestamp': new Date(e.time as number).toISOString(),
    ecs: { version: '8.11.0' },
    message: e.message,
    event: {
      kind: 'event',
      category: get(e, 'unmapped.security') !== undefined ? ['configuration', 'iam'] : ['web'],
      type: [allowed === false ? 'denied' : allowed === true ? 'allowed' : 'info'],
      action: get(e, 'api.operation'),
      outcome: status,
      code: get(e, 'metadata.event_code'),
      id: get(e, 'metadata.uid'),
      sequence: get(e, 'metadata.sequence'),
      duration,
      start: new Date(e.time as number).toISOString(),
      end: typeof e.end_time === 'number' ? new Date(e.end_time).toISOString() : undefined,
      reason: e.status_detail ?? decision?.reason,
      severity: e.severity_id,
      dataset: 'mcp_warden.audit',
      module: 'mcp_warden',
      provider: 'mcp-warden',
    },
    observer: { product: 'mcp-warden', vendor: 'mcp-warden', version: get(e, 'metadata.product.version'), type: 'proxy' },
    user: { id: get(e, 'actor.user.uid'), name: get(e, 'actor.user.name'), roles: get(e, 'unmapped.auth.roles') },
    source: { ip: get(e, 'src_endpoint.ip') },
    user_agent: { original: get(e, 'http_request.user_agent') },
    service: { name: get(e, 'api.service.name') },
    rule: { name: decision?.rule, ruleset: decision?.bundle_revision, uuid: decision?.decision_id },
    error: e.status_id === 2 ? { code: e.status_code, message: get(e, 'api.response.error_message') } : undefined,
    mcp_warden: {
      mcp: get(e, 'unmapped.mcp'),
      decision,
      auth: get(e, 'unmapped.auth'),
      redaction: get(e, 'unmapped.redaction'),
      security: get(e, 'unmapped.security'),
      arguments_sha256: get(e, 'api.request.data.arguments_sha256'),
      arguments: get(e, 'api.request.data.arguments'),
      chain: get(e, 'unmapped.chain'),
    },
  });
}
