import type { ExchangeFacts } from './audit-facts.ts';

/**
 * OCSF 1.8.0 API Activity (class_uid 6003) from audit facts. Standard attributes carry what OCSF
 * has a place for (actor.user, src_endpoint, api.operation/request/response/service, status,
 * duration, message_context for the MCP session); the MCP and decision details that OCSF has no
 * attribute for go under `unmapped` (`mcp`, `decision`, `auth`, `redaction`). `metadata.sequence`
 * and `unmapped.chain` are filled by the spool, which owns the sequence and the hash chain.
 */
export const OCSF_VERSION = '1.8.0';
export const PRODUCT = { name: 'mcp-warden', vendor_name: 'mcp-warden', version: '0.1.0' } as const;

const READ_METHODS = new Set([
  'initialize', 'ping', 'server/discover', 'tools/list', 'resources/list', 'resources/read', 'resources/templates/list',
  'prompts/list', 'prompts/get', 'completion/complete', 'roots/list',
]);

function activity(f: ExchangeFacts): { id: number; name: string } {
  if (f.source === 'security') return { id: 99, name: f.eventCode };
  const m = f.method;
  if (m !== undefined && READ_METHODS.has(m)) return { id: 2, name: 'Read' };
  if (m === 'logging/setLevel') return { id: 3, name: 'Update' };
  if (m === 'tools/call') return { id: 99, name: 'Invoke' };
  if (f.messageKind === 'notification') return { id: 99, name: 'Notify' };
  return { id: 99, name: 'Other' };
}

function severity(f: ExchangeFacts): { id: number; name: string } {
  if (f.eventCode === 'session.binding_refused') return { id: 4, name: 'High' };
  if (f.outcome !== 'failure') return { id: 1, name: 'Informational' };
  if (f.source === 'security' || f.wardenCode === 'WARDEN_ERR_POLICY_DENIED' || f.wardenCode?.startsWith('WARDEN_ERR_AUTHN') === true) return { id: 3, name: 'Medium' };
  return { id: 2, name: 'Low' };
}

/**
 * Absent facts stay in the event as undefined members rather than being deleted (delete turns an
 * object into a slow dictionary, for every event): canonical JSON — the spooled line, which is what
 * sinks send and what is hashed — leaves them out, and every renderer treats them as absent.
 */
function nonEmpty<T extends Record<string, unknown>>(o: T): T | undefined {
  for (const k in o) if (o[k] !== undefined) return o;
  return undefined;
}

function userTypeId(roles: readonly string[] | undefined): number {
  if (roles === undefined) return 0;
  return roles.includes('admin') ? 2 : 1;
}

export type OcsfEvent = Record<string, unknown> & { metadata: Record<string, unknown>; unmapped: Record<string, unknown> };

export function toOcsf(f: ExchangeFacts, uid: string, now: number): OcsfEvent {
  const act = activity(f);
  const sev = severity(f);
  const status = f.outcome === 'success' ? { id: 1, name: 'Success' } : f.outcome === 'failure' ? { id: 2, name: 'Failure' } : { id: 0, name: 'Unknown' };
  const operation = f.source === 'security' ? f.eventCode : (f.method ?? 'response');
  const requestUid = f.jsonrpcId === undefined || f.jsonrpcId === null ? (f.decisionId ?? uid) : String(f.jsonrpcId);
  const p = f.principal;
  const d = f.decision;

  const event: OcsfEvent = {
    class_uid: 6003,
    class_name: 'API Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: act.id,
    activity_name: act.name,
    type_uid: 600300 + act.id,
    type_name: `API Activity: ${act.name}`,
    severity_id: sev.id,
    severity: sev.name,
    status_id: status.id,
    status: status.name,
    time: Math.round(f.startedAt),
    start_time: Math.round(f.startedAt),
    timezone_offset: 0,
    message: f.message,
    metadata: {
      version: OCSF_VERSION,
      product: { ...PRODUCT },
      uid,
      log_name: 'mcp-warden.audit',
      event_code: f.eventCode,
      correlation_uid: f.decisionId,
      logged_time: Math.round(now),
      profiles: ['ai_operation'],
    },
    actor: {
      user: { uid: p?.id ?? 'unknown', name: p?.id ?? 'unknown', type_id: userTypeId(p?.roles) },
      ...(f.userAgent !== undefined ? { app_name: f.userAgent } : {}),
    },
    api: {
      operation,
      version: f.protocolVersion,
      service: f.upstream !== undefined ? { name: f.upstream } : undefined,
      request: { uid: requestUid, data: nonEmpty({ tool: f.tool, resource_uri: f.resourceUri, prompt: f.prompt, arguments_sha256: f.argsDigest, arguments: f.args }) },
      response: f.source === 'exchange' && f.messageKind !== 'notification'
        ? {
            code: f.jsonrpcErrorCode,
            error: f.wardenCode ?? (f.jsonrpcErrorCode !== undefined ? String(f.jsonrpcErrorCode) : undefined),
            error_message: f.outcome === 'failure' ? f.statusDetail : undefined,
            message: f.responseMissing !== undefined ? `no response (${f.responseMissing})` : undefined,
          }
        : undefined,
    },
    src_endpoint: { ip: f.clientIp ?? '0.0.0.0' } as Record<string, unknown>,
    unmapped: {},
  };
  if (f.clientIp === undefined) (event.src_endpoint as Record<string, unknown>).name = 'unknown';
  if (f.durationMs !== undefined) {
    event.duration = Math.round(f.durationMs);
    event.end_time = Math.round(f.startedAt + f.durationMs);
  }
  if (f.wardenCode !== undefined) event.status_code = f.wardenCode;
  else if (f.jsonrpcErrorCode !== undefined) event.status_code = String(f.jsonrpcErrorCode);
  if (f.statusDetail !== undefined) event.status_detail = f.statusDetail;
  if (f.upstream !== undefined) event.dst_endpoint = { name: f.upstream, svc_name: f.upstream };
  if (f.userAgent !== undefined) event.http_request = { user_agent: f.userAgent };
  if (f.sessionId !== undefined || f.upstream !== undefined)
    event.message_context = { uid: f.sessionId, name: f.sessionId === undefined ? 'no-session' : undefined, service: { name: f.upstream ?? 'unknown' }, ai_role_id: f.tool !== undefined ? 3 : undefined };

  const counts = f.redaction?.counts;
  event.unmapped = {
    mcp: {
      transport: f.transport,
      protocol_version: f.protocolVersion,
      direction: f.direction,
      kind: f.messageKind,
      method: f.method,
      jsonrpc_id: f.jsonrpcId ?? undefined,
      tool: f.tool,
      resource_uri: f.resourceUri,
      prompt: f.prompt,
      session_id: f.sessionId,
      upstream: f.upstream,
      response_missing: f.responseMissing,
      late_response: f.late,
    },
    decision: d !== undefined
      ? { allow: d.allow, rule: d.rule, reason: d.reason, bundle_revision: d.bundleRevision, decision_id: d.decisionId }
      : f.refusedBy !== undefined ? { allow: false, refused_by: f.refusedBy, code: f.wardenCode } : undefined,
    auth: p !== undefined ? { method: p.auth, issuer: p.issuer, roles: [...p.roles] } : undefined,
    redaction: counts !== undefined ? { counts: { ...counts }, total: Object.values(counts).reduce((a, b) => a + b, 0), paths: [...(f.redaction?.paths ?? [])] } : undefined,
    security: f.source === 'security' ? { type: f.eventCode, code: f.wardenCode, details: f.details } : undefined,
  } as Record<string, unknown>;
  return event;
}
