import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRoute } from '../admin/admin-route.ts';
import type { BundleLoader } from './bundle-loader.ts';
import { EditModeError, type EditMode } from './edit-mode.ts';
import type { PolicyEngine } from './policy-engine.ts';
import type { ToolCatalogue } from './tool-catalogue.ts';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
}

function query(req: IncomingMessage, name: string): string | undefined {
  return new URL(req.url ?? '/', 'http://admin').searchParams.get(name) ?? undefined;
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

async function guarded(res: ServerResponse, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof EditModeError) send(res, 400, { error: err.message });
    else throw err;
  }
}

/**
 * The policy's admin API (served by admin/admin-server.ts to admin principals only):
 *   GET    /v1/edit-mode[?upstream=X]           edit mode status
 *   POST   /v1/edit-mode {upstream, minutes?}    turn it on for a bounded time
 *   DELETE /v1/edit-mode?upstream=X              turn it off
 *   GET    /v1/policy                            active bundle
 *   POST   /v1/policy/reload                     reload the bundle now
 *   GET    /v1/tools?upstream=X                  catalogued tools and their pin status
 *   POST   /v1/tools/approve {upstream, tool}    re-approve a changed tool definition
 */
export function policyAdminRoutes(deps: { editMode: EditMode; engine: PolicyEngine; loader: BundleLoader; catalogue: ToolCatalogue }): AdminRoute[] {
  const { editMode, engine, loader, catalogue } = deps;
  return [
    {
      method: 'GET',
      path: '/v1/edit-mode',
      handle: (req, res) => guarded(res, async () => send(res, 200, { upstreams: await editMode.status(query(req, 'upstream')) })),
    },
    {
      method: 'POST',
      path: '/v1/edit-mode',
      handle: (_req, res, admin, body) =>
        guarded(res, async () => {
          const upstream = field(body, 'upstream');
          const minutes = field(body, 'minutes');
          if (typeof upstream !== 'string') return send(res, 400, { error: 'body must be {"upstream": "<name>", "minutes": <number>}' });
          if (minutes !== undefined && typeof minutes !== 'number') return send(res, 400, { error: 'minutes must be a number' });
          send(res, 200, await editMode.enable(upstream, minutes, admin));
        }),
    },
    {
      method: 'DELETE',
      path: '/v1/edit-mode',
      handle: (req, res, admin, body) =>
        guarded(res, async () => {
          const upstream = query(req, 'upstream') ?? field(body, 'upstream');
          if (typeof upstream !== 'string') return send(res, 400, { error: 'give the upstream as ?upstream=<name>' });
          send(res, 200, await editMode.disable(upstream, admin));
        }),
    },
    {
      method: 'GET',
      path: '/v1/policy',
      handle: async (_req, res) => {
        const active = engine.active;
        send(res, 200, {
          revision: engine.revision,
          source: loader.source.location,
          source_kind: loader.source.kind,
          loaded_at: active?.loadedAt.toISOString() ?? null,
          signed_by: active?.bundle.signedBy ?? null,
        });
      },
    },
    {
      method: 'POST',
      path: '/v1/policy/reload',
      handle: async (_req, res) => {
        const result = await loader.reload('admin');
        send(res, result.outcome === 'refused' ? 422 : 200, result);
      },
    },
    {
      method: 'GET',
      path: '/v1/tools',
      handle: (req, res) =>
        guarded(res, async () => {
          const upstream = query(req, 'upstream');
          if (upstream === undefined || !editMode.upstreams.includes(upstream)) return send(res, 400, { error: 'give a known upstream as ?upstream=<name>' });
          send(res, 200, { upstream, tools: await catalogue.list(upstream) });
        }),
    },
    {
      method: 'POST',
      path: '/v1/tools/approve',
      handle: (_req, res, admin, body) =>
        guarded(res, async () => {
          const upstream = field(body, 'upstream');
          const tool = field(body, 'tool');
          if (typeof upstream !== 'string' || typeof tool !== 'string' || !editMode.upstreams.includes(upstream))
            return send(res, 400, { error: 'body must be {"upstream": "<known upstream>", "tool": "<name>"}' });
          if (!(await catalogue.approve(upstream, tool, admin))) return send(res, 404, { error: 'that tool has not been listed by that upstream on this replica' });
          send(res, 200, { upstream, tool, approved: true });
        }),
    },
  ];
}
