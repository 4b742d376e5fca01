import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { startAdminServer, type RunningAdminServer } from '../../../src/admin/admin-server.ts';
import { AdminToken, hashAdminToken } from '../../../src/admin/admin-token.ts';
import type { Authenticator } from '../../../src/pipeline/authenticator.ts';
import { ANONYMOUS_VIEWER, type Principal } from '../../../src/pipeline/principal.ts';
import { EditMode } from '../../../src/policy/edit-mode.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import type { AdminRoute } from '../../../src/admin/admin-route.ts';
import { runEditModeCommand } from '../../../src/cli/edit-mode-command.ts';
import { SILENT, recordingAudit } from '../policy/policy-helpers.ts';

const TOKEN = 'correct horse battery staple';

/**
 * A stand-in authenticator (authn/ is another area): bearer `admin-jwt` is an admin, `user-jwt`
 * an operator, anything else is refused, and no credentials at all is the anonymous viewer (as
 * with auth.mode none).
 */
const authenticator: Authenticator = {
  authenticate: async (req) => {
    const auth = req.headers.authorization;
    if (auth === undefined) return { ok: true, principal: ANONYMOUS_VIEWER };
    const principal = (roles: string[]): Principal => ({ id: roles[0] ?? 'x', auth: 'jwt', roles, scopes: [], claims: {} });
    if (auth === 'Bearer admin-jwt') return { ok: true, principal: principal(['admin']) };
    if (auth === 'Bearer user-jwt') return { ok: true, principal: principal(['operator']) };
    return { ok: false, error: new WardenError('WARDEN_ERR_AUTHN_REQUIRED'), headers: { 'www-authenticate': 'Bearer' } };
  },
};

describe('admin server', () => {
  let admin: RunningAdminServer;
  let editMode: EditMode;
  const audit = recordingAudit();
  before(async () => {
    editMode = new EditMode({ state: new MemoryStateStore(), audit, logger: SILENT, upstreams: ['everything'], defaultMinutes: 15, maxMinutes: 60 });
    const { policyAdminRoutes } = await import('../../../src/policy/policy-admin-routes.ts');
    const routes: AdminRoute[] = policyAdminRoutes({ editMode, engine: undefined as never, loader: undefined as never, catalogue: undefined as never }).filter((r) => r.path === '/v1/edit-mode');
    admin = await startAdminServer({ host: '127.0.0.1', port: 0, routes, authenticator, token: new AdminToken(hashAdminToken(TOKEN)), logger: SILENT, audit });
  });
  after(async () => {
    editMode.close();
    await admin.close();
  });

  const get = (auth?: string) => fetch(`${admin.url}/v1/edit-mode`, { headers: auth ? { authorization: auth } : {} });

  it('refuses the anonymous principal (auth.mode none) with 401', async () => {
    assert.equal((await get()).status, 401);
  });

  it('refuses bad credentials with 401 and a non-admin principal with 403, and audits both', async () => {
    const before = audit.events.length;
    assert.equal((await get('Bearer nonsense')).status, 401);
    assert.equal((await get('Bearer user-jwt')).status, 403);
    assert.equal(audit.events.slice(before).filter((e) => e.type === 'authn.failure').length, 2);
  });

  it('refuses before routing: an unknown path is 401 too for an unauthenticated caller', async () => {
    assert.equal((await fetch(`${admin.url}/v1/nothing-here`)).status, 401);
  });

  it('accepts an admin principal and the admin token', async () => {
    assert.equal((await get('Bearer admin-jwt')).status, 200);
    const res = await get(`Bearer ${TOKEN}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { upstreams: [{ upstream: 'everything', edit: false, expires_at: null, enabled_by: null, minutes: null }] });
    assert.equal((await get(`Bearer ${TOKEN}x`)).status, 401);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('undici');
    const res = await request(`${admin.url}/v1/edit-mode`, { headers: { host: 'evil.example', authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 403);
    await res.body.dump();
  });

  it('edit mode on/off through the API, bounded by the maximum, audited with who and how long', async () => {
    const post = (body: unknown, type = 'application/json') =>
      fetch(`${admin.url}/v1/edit-mode`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, body: JSON.stringify(body) });
    assert.equal((await post({ upstream: 'everything', minutes: 61 })).status, 400);
    assert.equal((await post({ upstream: 'nope', minutes: 5 })).status, 400);
    assert.equal((await post({ upstream: 'everything', minutes: 5 }, 'text/plain')).status, 415);
    const on = await post({ upstream: 'everything', minutes: 5 });
    assert.equal(on.status, 200);
    const status = (await on.json()) as { edit: boolean; enabled_by: string; expires_at: number };
    assert.equal(status.edit, true);
    assert.equal(status.enabled_by, 'api_key:admin-token');
    assert.ok(status.expires_at > Date.now() + 4 * 60_000);
    const event = audit.events.findLast((e) => e.type === 'policy.edit_mode_changed');
    assert.equal(event?.details?.minutes, 5);
    assert.equal(event?.principal?.id, 'admin-token');
    const off = await fetch(`${admin.url}/v1/edit-mode?upstream=everything`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(off.status, 200);
    assert.equal((await editMode.current('everything')).edit, false);
  });

  it('the edit-mode CLI drives the same API', async () => {
    const out: string[] = [];
    const io = { stdout: { write: (c: string | Uint8Array) => out.push(String(c)) > 0 }, stderr: { write: () => true } };
    const codes = [
      await runEditModeCommand(['on', '--upstream', 'everything', '--minutes', '2', '--admin-url', admin.url, '--token', TOKEN], io),
      await runEditModeCommand(['status', '--admin-url', admin.url, '--token', TOKEN, '--json'], io),
      await runEditModeCommand(['off', '--upstream', 'everything', '--admin-url', admin.url, '--token', TOKEN], io),
    ];
    assert.deepEqual(codes, [0, 0, 0]);
    assert.match(out[0] ?? '', /everything: edit mode ON until/);
    assert.equal((JSON.parse(out[1] ?? '{}') as { upstreams: { edit: boolean }[] }).upstreams[0]?.edit, true);
    assert.match(out[2] ?? '', /edit mode off/);
  });

  it('the edit-mode CLI fails without the token', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    assert.equal(await runEditModeCommand(['on', '--upstream', 'everything', '--admin-url', admin.url, '--token', ''], io), 1);
  });
});

describe('admin token', () => {
  it('only a 64-hex SHA-256 is accepted as configuration', () => {
    assert.throws(() => new AdminToken(TOKEN), /64 hex/);
    assert.equal(AdminToken.fromConfig(undefined, {}), undefined);
    assert.ok(AdminToken.fromConfig(undefined, { MCP_WARDEN_ADMIN_TOKEN_SHA256: hashAdminToken('t') })?.matches('t'));
  });
});
