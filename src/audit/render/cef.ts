import type { OcsfEvent } from '../ocsf-event.ts';

/**
 * ArcSight Common Event Format (CEF:0) rendering. Header fields escape `\` and `|`; extension
 * values escape `\`, `=` and line breaks, as the CEF specification requires. Custom strings (csN)
 * carry the MCP fields with their labels.
 */
type Obj = Record<string, unknown>;
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

export function cefHeader(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

export function cefValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\r|\n/g, '\\n');
}

/** OCSF severity_id 0–6 onto CEF 0–10. */
const SEVERITY = [0, 1, 3, 5, 7, 9, 10];

export function toCef(e: OcsfEvent): string {
  const decision = get(e, 'unmapped.decision') as Obj | undefined;
  const chain = get(e, 'unmapped.chain') as Obj | undefined;
  const operation = String(get(e, 'api.operation') ?? 'unknown');
  const signature = String(get(e, 'metadata.event_code') ?? 'mcp.exchange');
  const name = String(e.message ?? operation);
  const ext: [string, unknown][] = [
    ['rt', e.time],
    ['end', e.end_time],
    ['externalId', get(e, 'metadata.uid')],
    ['suser', get(e, 'actor.user.uid')],
    ['src', get(e, 'src_endpoint.ip')],
    ['requestClientApplication', get(e, 'http_request.user_agent')],
    ['requestMethod', get(e, 'unmapped.mcp.method')],
    ['request', get(e, 'unmapped.mcp.resource_uri')],
    ['destinationServiceName', get(e, 'api.service.name')],
    ['act', decision === undefined ? undefined : decision.allow === true ? 'allow' : 'deny'],
    ['outcome', e.status],
    ['reason', e.status_detail ?? decision?.reason],
    ['cs1Label', 'tool'],
    ['cs1', get(e, 'unmapped.mcp.tool')],
    ['cs2Label', 'sessionId'],
    ['cs2', get(e, 'unmapped.mcp.session_id')],
    ['cs3Label', 'rule'],
    ['cs3', decision?.rule],
    ['cs4Label', 'decisionId'],
    ['cs4', decision?.decision_id ?? get(e, 'metadata.correlation_uid')],
    ['cs5Label', 'bundleRevision'],
    ['cs5', decision?.bundle_revision],
    ['cs6Label', 'argumentsSha256'],
    ['cs6', get(e, 'api.request.data.arguments_sha256')],
    ['cn1Label', 'sequence'],
    ['cn1', get(e, 'metadata.sequence')],
    ['cn2Label', 'durationMs'],
    ['cn2', e.duration],
    ['cn3Label', 'jsonrpcErrorCode'],
    ['cn3', get(e, 'api.response.code')],
    ['deviceExternalId', chain?.replica_id],
    ['flexString1Label', 'prevHash'],
    ['flexString1', chain?.prev_hash],
  ];
  const extension = ext
    .filter(([k, v], i, all) => v !== undefined && v !== null && !(k.endsWith('Label') && (all[i + 1]?.[1] === undefined || all[i + 1]?.[1] === null)))
    .map(([k, v]) => `${k}=${cefValue(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(' ');
  const severity = SEVERITY[typeof e.severity_id === 'number' ? e.severity_id : 0] ?? 0;
  return `CEF:0|mcp-warden|mcp-warden|${cefHeader(String(get(e, 'metadata.product.version') ?? ''))}|${cefHeader(signature)}|${cefHeader(name)}|${severity}|${extension}`;
}
