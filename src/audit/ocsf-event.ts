import type { ExchangeFacts } from './audit-facts.ts';
import { canonicalJson, jsonString } from './canonical-json.ts';
import type { ChainLink } from './chain.ts';

/**
 * OCSF 1.8.0 API Activity (class_uid 6003) from audit facts. Standard attributes carry what OCSF
 * has a place for (actor.user, src_endpoint, api.operation/request/response/service, status,
 * duration, message_context for the MCP session); the MCP and decision details that OCSF has no
 * attribute for go under `unmapped` (`mcp`, `decision`, `auth`, `redaction`). `metadata.sequence`
 * and `unmapped.chain` are the spool's: it owns the sequence and the hash chain.
 *
 * The event is written straight to its canonical JSON (what the spool stores, hashes and sinks
 * send), never built as an object first: this runs for every exchange, and building the object,
 * then walking and sorting it, cost about three times as much (bench/audit.bench.ts). So every
 * object below lists its members in canonical order (sorted by UTF-16 code units), and leaves out
 * a member whose value is undefined, as canonicalJson does; values of arbitrary shape (arguments,
 * security details, redaction counts) go through canonicalJson itself. Tests check that every line
 * is canonical JSON and valid against the OCSF schema.
 */
export const OCSF_VERSION = '1.8.0';
export const PRODUCT = { name: 'mcp-warden', vendor_name: 'mcp-warden', version: '0.1.0' } as const;

/** An OCSF event as parsed from its line (for renderers and sinks that need more than the header). */
export type OcsfEvent = Record<string, unknown> & { metadata: Record<string, unknown>; unmapped: Record<string, unknown> };

/** What sinks read of every event without parsing its line: syslog and HEC headers, the oldest-event age. */
export interface EventHeader {
  /** Epoch milliseconds of the event (OCSF `time`). */
  readonly time: number;
  readonly severityId: number;
  readonly eventCode: string;
  /** Epoch milliseconds when the event was logged (OCSF `metadata.logged_time`). */
  readonly loggedTime: number;
}

/** An event before the spool gave it a place in the chain: its header, and its line once linked. */
export interface UnlinkedEvent {
  readonly header: EventHeader;
  line(link: ChainLink): string;
}

const READ_METHODS = new Set([
  'initialize', 'ping', 'server/discover', 'tools/list', 'resources/list', 'resources/read', 'resources/templates/list',
  'prompts/list', 'prompts/get', 'completion/complete', 'roots/list',
]);

function activity(f: ExchangeFacts): { id: number; name: string } {
  if (f.source === 'security') return { id: 99, name: f.eventCode };
  const m = f.method;
  if (m !== undefined && READ_METHODS.has(m)) return READ;
  if (m === 'logging/setLevel') return UPDATE;
  if (m === 'tools/call') return INVOKE;
  if (f.messageKind === 'notification') return NOTIFY;
  return OTHER;
}
const READ = { id: 2, name: 'Read' };
const UPDATE = { id: 3, name: 'Update' };
const INVOKE = { id: 99, name: 'Invoke' };
const NOTIFY = { id: 99, name: 'Notify' };
const OTHER = { id: 99, name: 'Other' };

function severity(f: ExchangeFacts): { id: number; name: string } {
  if (f.eventCode === 'session.binding_refused') return { id: 4, name: 'High' };
  if (f.outcome !== 'failure') return INFORMATIONAL;
  if (f.source === 'security' || f.wardenCode === 'WARDEN_ERR_POLICY_DENIED' || f.wardenCode?.startsWith('WARDEN_ERR_AUTHN') === true) return { id: 3, name: 'Medium' };
  return { id: 2, name: 'Low' };
}
const INFORMATIONAL = { id: 1, name: 'Informational' };

const STATUS_NAME = { success: '"Success"', failure: '"Failure"', unknown: '"Unknown"' } as const;
const STATUS_ID = { success: 1, failure: 2, unknown: 0 } as const;

function userTypeId(roles: readonly string[] | undefined): number {
  if (roles === undefined) return 0;
  return roles.includes('admin') ? 2 : 1;
}

/** A JSON string; `""` for a string fact that is missing at run time, so that the line stays JSON. */
const q = (s: string): string => (typeof s === 'string' ? jsonString(s) : (JSON.stringify(s) ?? '""'));
/** A JSON number as canonicalJson writes it. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');
/** `,"key":value` for a string member, or nothing when absent. */
const optStr = (key: string, v: string | undefined): string => (v === undefined ? '' : `,"${key}":${q(v)}`);
/** `,"key":value` for a member already written as JSON, or nothing when absent. */
const optRaw = (key: string, json: string | undefined): string => (json === undefined ? '' : `,"${key}":${json}`);
/** `{…}` from members written as `,"k":v…` (the first comma dropped). */
const obj = (members: string): string => (members === '' ? '{}' : `{${members.slice(1)}}`);

function actor(f: ExchangeFacts): string {
  const p = f.principal;
  const id = q(p?.id ?? 'unknown');
  return `{${f.userAgent !== undefined ? `"app_name":${q(f.userAgent)},` : ''}"user":{"name":${id},"type_id":${userTypeId(p?.roles)},"uid":${id}}}`;
}

function api(f: ExchangeFacts, uid: string): string {
  const operation = f.source === 'security' ? f.eventCode : (f.method ?? 'response');
  const requestUid = f.jsonrpcId === undefined || f.jsonrpcId === null ? (f.decisionId ?? uid) : String(f.jsonrpcId);
  const data = obj(optRaw('arguments', f.args === undefined ? undefined : canonicalJson(f.args)) + optStr('arguments_sha256', f.argsDigest) + optStr('prompt', f.prompt) + optStr('resource_uri', f.resourceUri) + optStr('tool', f.tool));
  let response: string | undefined;
  if (f.source === 'exchange' && f.messageKind !== 'notification') {
    const code = f.jsonrpcErrorCode;
    response = obj(
      optRaw('code', code === undefined ? undefined : num(code)) +
        optStr('error', f.wardenCode ?? (code !== undefined ? String(code) : undefined)) +
        optStr('error_message', f.outcome === 'failure' ? f.statusDetail : undefined) +
        optStr('message', f.responseMissing !== undefined ? `no response (${f.responseMissing})` : undefined),
    );
  }
  return obj(
    `,"operation":${q(operation)},"request":{${data === '{}' ? '' : `"data":${data},`}"uid":${q(requestUid)}}` +
      optRaw('response', response) +
      optRaw('service', f.upstream !== undefined ? `{"name":${q(f.upstream)}}` : undefined) +
      optStr('version', f.protocolVersion),
  );
}

function messageContext(f: ExchangeFacts): string | undefined {
  if (f.sessionId === undefined && f.upstream === undefined) return undefined;
  return obj(
    (f.tool !== undefined ? ',"ai_role_id":3' : '') +
      (f.sessionId === undefined ? ',"name":"no-session"' : '') +
      `,"service":{"name":${q(f.upstream ?? 'unknown')}}` +
      optStr('uid', f.sessionId),
  );
}

const PRODUCT_JSON = canonicalJson(PRODUCT);

function metadata(f: ExchangeFacts, uid: string, now: number, seq: number): string {
  return `{${f.decisionId !== undefined ? `"correlation_uid":${q(f.decisionId)},` : ''}"event_code":${q(f.eventCode)},"log_name":"mcp-warden.audit","logged_time":${num(Math.round(now))},"product":${PRODUCT_JSON},"profiles":["ai_operation"],"sequence":${num(seq)},"uid":${q(uid)},"version":"${OCSF_VERSION}"}`;
}

function mcp(f: ExchangeFacts): string {
  const id = f.jsonrpcId ?? undefined;
  return obj(
    optStr('direction', f.direction) +
      optRaw('jsonrpc_id', id === undefined ? undefined : typeof id === 'number' ? num(id) : q(id)) +
      optStr('kind', f.messageKind) +
      optRaw('late_response', f.late === undefined ? undefined : String(f.late)) +
      optStr('method', f.method) +
      optStr('prompt', f.prompt) +
      optStr('protocol_version', f.protocolVersion) +
      optStr('resource_uri', f.resourceUri) +
      optStr('response_missing', f.responseMissing) +
      optStr('session_id', f.sessionId) +
      optStr('tool', f.tool) +
      optStr('transport', f.transport) +
      optStr('upstream', f.upstream),
  );
}

function decision(f: ExchangeFacts): string | undefined {
  const d = f.decision;
  if (d !== undefined) return obj(`,"allow":${String(d.allow)}` + optStr('bundle_revision', d.bundleRevision) + optStr('decision_id', d.decisionId) + optStr('reason', d.reason) + optStr('rule', d.rule));
  if (f.refusedBy !== undefined) return obj(`,"allow":false` + optStr('code', f.wardenCode) + optStr('refused_by', f.refusedBy));
  return undefined;
}

function redaction(f: ExchangeFacts): string | undefined {
  const counts = f.redaction?.counts;
  if (counts === undefined) return undefined;
  let total = 0;
  for (const k in counts) total += counts[k] as number;
  return `{"counts":${canonicalJson(counts)},"paths":${canonicalJson(f.redaction?.paths ?? [])},"total":${num(total)}}`;
}

function unmapped(f: ExchangeFacts, link: ChainLink): string {
  const p = f.principal;
  return (
    '{' +
    (p !== undefined ? `"auth":{${p.issuer !== undefined ? `"issuer":${q(p.issuer)},` : ''}"method":${q(p.auth)},"roles":${canonicalJson(p.roles)}},` : '') +
    `"chain":{"prev_hash":${q(link.prev_hash)},"replica_id":${q(link.replica_id)},"seq":${num(link.seq)}}` +
    optRaw('decision', decision(f)) +
    `,"mcp":${mcp(f)}` +
    optRaw('redaction', redaction(f)) +
    optRaw('security', f.source === 'security' ? obj(optStr('code', f.wardenCode) + optRaw('details', f.details === undefined ? undefined : canonicalJson(f.details)) + `,"type":${q(f.eventCode)}`) : undefined) +
    '}'
  );
}

/** The event's canonical JSON line, with its place in the chain. */
export function ocsfLine(f: ExchangeFacts, uid: string, now: number, link: ChainLink): string {
  const act = activity(f);
  const sev = severity(f);
  const start = num(Math.round(f.startedAt));
  const code = f.wardenCode ?? (f.jsonrpcErrorCode !== undefined ? String(f.jsonrpcErrorCode) : undefined);
  const upstream = f.upstream;
  const context = messageContext(f);
  return (
    `{"activity_id":${act.id},"activity_name":${q(act.name)},"actor":${actor(f)},"api":${api(f, uid)},` +
    '"category_name":"Application Activity","category_uid":6,"class_name":"API Activity","class_uid":6003,' +
    (upstream !== undefined ? `"dst_endpoint":{"name":${q(upstream)},"svc_name":${q(upstream)}},` : '') +
    (f.durationMs !== undefined ? `"duration":${num(Math.round(f.durationMs))},"end_time":${num(Math.round(f.startedAt + f.durationMs))},` : '') +
    (f.userAgent !== undefined ? `"http_request":{"user_agent":${q(f.userAgent)}},` : '') +
    `"message":${q(f.message)},` +
    (context !== undefined ? `"message_context":${context},` : '') +
    `"metadata":${metadata(f, uid, now, link.seq)},"severity":${q(sev.name)},"severity_id":${sev.id},` +
    `"src_endpoint":${f.clientIp === undefined ? '{"ip":"0.0.0.0","name":"unknown"}' : `{"ip":${q(f.clientIp)}}`},"start_time":${start},` +
    `"status":${STATUS_NAME[f.outcome]}` +
    optStr('status_code', code) +
    optStr('status_detail', f.statusDetail) +
    `,"status_id":${STATUS_ID[f.outcome]},"time":${start},"timezone_offset":0,"type_name":${q(`API Activity: ${act.name}`)},"type_uid":${600300 + act.id},"unmapped":${unmapped(f, link)}}`
  );
}

/** The event of `f`, to be linked by the spool. The line is written only then, once. */
export function unlinkedEvent(f: ExchangeFacts, uid: string, now: number): UnlinkedEvent {
  const header: EventHeader = { time: Math.round(f.startedAt), severityId: severity(f).id, eventCode: f.eventCode, loggedTime: Math.round(now) };
  return { header, line: (link) => ocsfLine(f, uid, now, link) };
}

/** The header of an event parsed from a spooled line (read back from disk). */
export function headerOf(event: OcsfEvent): EventHeader {
  const md = event.metadata;
  return {
    time: typeof event.time === 'number' ? event.time : Date.now(),
    severityId: typeof event.severity_id === 'number' ? event.severity_id : 1,
    eventCode: typeof md.event_code === 'string' ? md.event_code : 'audit',
    loggedTime: typeof md.logged_time === 'number' ? md.logged_time : Date.now(),
  };
}
