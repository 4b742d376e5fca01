import type { MessageContext } from '../pipeline/exchange-context.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { DefinitionStatus, ToolClass } from './tool-classifier.ts';

/** The `tool` member of the input (DESIGN.md), plus the folded name and the pin status. */
export interface ToolInput {
  readonly name: string;
  readonly canonical_name: string;
  readonly class: ToolClass;
  readonly annotations: Readonly<Record<string, unknown>>;
  readonly pinned: boolean;
  readonly definition: DefinitionStatus;
}

export interface ModeInput {
  readonly edit: boolean;
  /** ISO 8601, or null when edit mode is off. */
  readonly edit_expires_at: string | null;
}

/** The input document of DESIGN.md's policy contract, one per message. */
export interface PolicyInput {
  readonly principal: {
    readonly id: string;
    readonly issuer: string | null;
    readonly auth: string;
    readonly roles: readonly string[];
    readonly scopes: readonly string[];
    readonly claims: Readonly<Record<string, unknown>>;
  };
  readonly request: {
    readonly transport: string;
    readonly protocol_version: string | null;
    readonly session_id: string | null;
    readonly client_ip: string;
    readonly user_agent: string | null;
    readonly upstream: string;
  };
  readonly message: {
    readonly direction: string;
    readonly kind: string;
    readonly method: string | null;
    readonly id: string | number | null;
    readonly params: unknown;
  };
  readonly tool?: ToolInput;
  readonly mode: ModeInput;
  /** Set when the input stands for one item of a list reply (list/call parity); arguments are then unknown. */
  readonly listing?: true;
}

export function principalInput(p: Principal): PolicyInput['principal'] {
  return { id: p.id, issuer: p.issuer ?? null, auth: p.auth, roles: p.roles, scopes: p.scopes, claims: p.claims };
}

function requestInput(ctx: MessageContext): PolicyInput['request'] {
  const c = ctx.connection;
  return {
    transport: c.transport,
    protocol_version: c.protocolVersion ?? null,
    session_id: c.sessionId ?? null,
    client_ip: c.clientIp,
    user_agent: c.userAgent ?? null,
    upstream: c.upstream,
  };
}

/**
 * Pure: the input for one message. A response carries the method of the request it answers and no
 * params (its result is not the policy's business; redaction reads it), so the input stays small.
 * A server→client notification carries its params only with `serverNotificationParams` (config
 * `policy.server_notification_params`), for the same reason.
 */
export function buildInput(ctx: MessageContext, tool: ToolInput | undefined, mode: ModeInput, options: { serverNotificationParams?: boolean } = {}): PolicyInput {
  const message = ctx.message as { params?: unknown };
  const s = ctx.summary;
  const input: PolicyInput = {
    principal: principalInput(ctx.connection.principal),
    request: requestInput(ctx),
    message: {
      direction: ctx.direction,
      kind: s.kind,
      method: s.method ?? null,
      id: s.id ?? null,
      params: s.kind === 'response' || (s.kind === 'notification' && ctx.direction === 'to_client' && options.serverNotificationParams !== true) ? null : (message.params ?? null),
    },
    mode,
    ...(tool === undefined ? {} : { tool }),
  };
  return input;
}

/**
 * Pure: the input for one item of a list reply, as the call that would use it: a listed tool as
 * tools/call, a resource (or template) as resources/read, a prompt as prompts/get.
 */
export function buildListItemInput(ctx: MessageContext, method: string, params: Readonly<Record<string, unknown>>, tool: ToolInput | undefined, mode: ModeInput): PolicyInput {
  return {
    principal: principalInput(ctx.connection.principal),
    request: requestInput(ctx),
    message: { direction: 'to_server', kind: 'request', method, id: null, params },
    mode,
    ...(tool === undefined ? {} : { tool }),
    listing: true,
  };
}

export function modeInput(mode: { edit: boolean; expiresAt: number | null }): ModeInput {
  return { edit: mode.edit, edit_expires_at: mode.expiresAt === null ? null : new Date(mode.expiresAt).toISOString() };
}
