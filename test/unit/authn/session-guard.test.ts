import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import pino from 'pino';
import { sessionLimitRefusalsTotal } from '../../../src/authn/authn-metrics.ts';
import { StateSessionGuard } from '../../../src/authn/session-guard.ts';
import { isWardenError } from '../../../src/errors/warden-error.ts';
import type { SecurityEvent } from '../../../src/pipeline/audit-port.ts';
import { ANONYMOUS_VIEWER, type Principal } from '../../../src/pipeline/principal.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';

const p = (id: string, auth: Principal['auth'] = 'jwt', issuer = 'https://idp'): Principal => ({ id, auth, issuer, roles: [], scopes: [], claims: {} });
const SILENT = pino({ level: 'silent' });
const HOUR = 3_600_000;

function setup(limits: { idleTtlMs?: number; maxPerPrincipal?: number } = {}, now?: () => number) {
  const events: SecurityEvent[] = [];
  const state = new MemoryStateStore(now);
  const guard = new StateSessionGuard(state, { record: (e) => void events.push(e) }, SILENT, { idleTtlMs: limits.idleTtlMs ?? HOUR, maxPerPrincipal: limits.maxPerPrincipal ?? 100 });
  return { events, state, guard };
}

/** A clock the test moves by hand. */
function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function refusedForLimit(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => isWardenError(err) && err.code === 'WARDEN_ERR_SESSION_LIMIT' && err.httpStatus === 429);
}

describe('StateSessionGuard (session replayed by another principal)', () => {
  it('a session belongs to the principal that opened it; others are refused; release frees it', async () => {
    const { events, state, guard } = setup();
    await guard.bind('everything:s1', p('alice'));
    assert.equal(await guard.ownership('everything:s1', p('alice')), 'owner');
    assert.equal(await guard.ownership('everything:s1', p('bob')), 'foreign');
    // Same id, another method or issuer: another principal.
    assert.equal(await guard.ownership('everything:s1', p('alice', 'api_key', undefined as never)), 'foreign');
    assert.equal(await guard.ownership('everything:s1', p('alice', 'jwt', 'https://other-idp')), 'foreign');
    // Keyed per upstream; a key nobody bound is nobody's, not "anyone's".
    assert.equal(await guard.ownership('other:s1', p('bob')), 'unknown');
    // A second bind by another principal does not steal the session, and is audited.
    await guard.bind('everything:s1', p('bob'));
    assert.equal(await guard.ownership('everything:s1', p('bob')), 'foreign');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'session.binding_refused');
    assert.equal(events[0]!.upstream, 'everything');
    assert.equal(events[0]!.sessionId, 's1');
    // Re-binding by the owner is silent.
    await guard.bind('everything:s1', p('alice'));
    assert.equal(events.length, 1);
    await guard.release('everything:s1');
    assert.equal(await state.get('session:everything:s1'), undefined);
    assert.equal(await guard.ownership('everything:s1', p('alice')), 'unknown');
  });

  it('shares bindings through the StateStore (two replicas, one store)', async () => {
    const state = new MemoryStateStore();
    const limits = { idleTtlMs: HOUR, maxPerPrincipal: 100 };
    const a = new StateSessionGuard(state, { record: () => {} }, SILENT, limits);
    const b = new StateSessionGuard(state, { record: () => {} }, SILENT, limits);
    await a.bind('everything:s2', p('alice'));
    assert.equal(await b.ownership('everything:s2', p('mallory')), 'foreign');
  });
});

describe('StateSessionGuard idle expiry (bindings do not live forever)', () => {
  it('an unused binding expires after the idle TTL, and then belongs to nobody: not the owner, not another principal', async () => {
    const c = clock();
    const { guard } = setup({ idleTtlMs: HOUR }, c.now);
    await guard.bind('everything:s1', p('alice'));
    c.advance(HOUR + 1);
    // The attack: once alice's binding lapsed, bob presents her session id.
    assert.equal(await guard.ownership('everything:s1', p('bob')), 'unknown');
    assert.equal(await guard.ownership('everything:s1', p('alice')), 'unknown');
  });

  it('the TTL slides: every use by the owner restarts it; a foreign presentation does not', async () => {
    const c = clock();
    const { guard } = setup({ idleTtlMs: HOUR }, c.now);
    await guard.bind('everything:s1', p('alice'));
    for (let i = 0; i < 5; i++) {
      c.advance(HOUR * 0.9);
      assert.equal(await guard.ownership('everything:s1', p('alice')), 'owner');
    }
    c.advance(HOUR * 0.9);
    assert.equal(await guard.ownership('everything:s1', p('bob')), 'foreign');
    c.advance(HOUR * 0.2);
    assert.equal(await guard.ownership('everything:s1', p('alice')), 'unknown');
  });

  it('expired bindings are swept out of memory even if never read again', async () => {
    const c = clock();
    const { guard, state } = setup({ idleTtlMs: HOUR, maxPerPrincipal: 10_000 }, c.now);
    for (let i = 0; i < 1_000; i++) await guard.bind(`everything:s${i}`, p(`user${i % 50}`));
    assert.ok(state.size >= 1_000);
    c.advance(HOUR + 60_001);
    await guard.bind('everything:fresh', p('carol'));
    // Left: carol's binding and her set of live sessions.
    assert.equal(state.size, 2);
  });

  it('a connection-bound session (stream, WebSocket) stays bound while open, however idle; release ends it', async () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_700_000_000_000 });
    try {
      const { guard } = setup({ idleTtlMs: 60_000 }, () => Date.now());
      await guard.bind('everything:stream', p('alice'), { connection: true });
      await guard.bind('everything:request', p('alice'));
      for (let i = 0; i < 10; i++) {
        mock.timers.tick(20_000);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      assert.equal(await guard.ownership('everything:stream', p('alice')), 'owner');
      assert.equal(await guard.ownership('everything:request', p('alice')), 'unknown');
      await guard.release('everything:stream');
      mock.timers.tick(120_000);
      assert.equal(await guard.ownership('everything:stream', p('alice')), 'unknown');
      guard.close();
    } finally {
      mock.timers.reset();
    }
  });
});

describe('StateSessionGuard per-principal cap', () => {
  it('one principal cannot open more than max_per_principal live sessions: refused with 429, audited, counted', async () => {
    const { guard, events } = setup({ maxPerPrincipal: 3 });
    const before = (await sessionLimitRefusalsTotal.get()).values.find((v) => v.labels.upstream === 'everything')?.value ?? 0;
    for (const id of ['s1', 's2', 's3']) await guard.bind(`everything:${id}`, p('alice'));
    await refusedForLimit(guard.bind('everything:s4', p('alice')));
    await refusedForLimit(guard.admit('everything', p('alice')));
    assert.equal(await guard.ownership('everything:s4', p('alice')), 'unknown');
    const refusals = events.filter((e) => e.code === 'WARDEN_ERR_SESSION_LIMIT');
    assert.equal(refusals.length, 2);
    assert.equal(refusals[0]!.type, 'session.binding_refused');
    assert.equal(refusals[0]!.principal?.id, 'alice');
    assert.equal(refusals[0]!.sessionId, 's4');
    assert.deepEqual(refusals[0]!.details, { limit: 3 });
    const after = (await sessionLimitRefusalsTotal.get()).values.find((v) => v.labels.upstream === 'everything')?.value ?? 0;
    assert.equal(after - before, 2);
    // Others are not affected; the cap is per principal, across upstreams.
    await guard.bind('everything:b1', p('bob'));
    await refusedForLimit(guard.bind('other:s5', p('alice')));
    // A principal's own session, bound again (e.g. a reconnect), does not need a new slot.
    await guard.bind('everything:s2', p('alice'));
    // Ending a session frees its slot.
    await guard.release('everything:s1');
    await guard.admit('everything', p('alice'));
    await guard.bind('everything:s4', p('alice'));
    assert.equal(await guard.ownership('everything:s4', p('alice')), 'owner');
  });

  it('idle sessions stop counting once they expire', async () => {
    const c = clock();
    const { guard } = setup({ idleTtlMs: HOUR, maxPerPrincipal: 2 }, c.now);
    await guard.bind('everything:s1', p('alice'));
    await guard.bind('everything:s2', p('alice'));
    c.advance(HOUR / 2);
    assert.equal(await guard.ownership('everything:s2', p('alice')), 'owner'); // s2 stays live
    await refusedForLimit(guard.bind('everything:s3', p('alice')));
    c.advance(HOUR / 2 + 1); // s1 lapsed
    await guard.bind('everything:s3', p('alice'));
    await refusedForLimit(guard.bind('everything:s4', p('alice')));
  });

  it('concurrent binds cannot overshoot the cap', async () => {
    const { guard } = setup({ maxPerPrincipal: 5 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => guard.bind(`everything:c${i}`, p('alice'))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
  });

  it('anonymous callers share one principal, so the cap does not apply to them: one cannot lock the others out', async () => {
    const { guard } = setup({ maxPerPrincipal: 2 });
    for (let i = 0; i < 10; i++) await guard.bind(`everything:a${i}`, ANONYMOUS_VIEWER, { connection: i % 2 === 0 });
    await guard.admit('everything', ANONYMOUS_VIEWER);
    await guard.bind('everything:a10', ANONYMOUS_VIEWER);
    assert.equal(await guard.ownership('everything:a10', ANONYMOUS_VIEWER), 'owner');
    // Named principals keep their cap, and anonymous sessions are still not theirs.
    await guard.bind('everything:n1', p('alice'));
    await guard.bind('everything:n2', p('alice'));
    await refusedForLimit(guard.bind('everything:n3', p('alice')));
    assert.equal(await guard.ownership('everything:a1', p('alice')), 'foreign');
    guard.close();
  });
});
