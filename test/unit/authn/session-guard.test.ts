import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { StateSessionGuard } from '../../../src/authn/session-guard.ts';
import type { SecurityEvent } from '../../../src/pipeline/audit-port.ts';
import type { Principal } from '../../../src/pipeline/principal.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';

const p = (id: string, auth: Principal['auth'] = 'jwt', issuer = 'https://idp'): Principal => ({ id, auth, issuer, roles: [], scopes: [], claims: {} });

describe('StateSessionGuard (session replayed by another principal)', () => {
  it('a session belongs to the principal that opened it; others are refused; release frees it', async () => {
    const events: SecurityEvent[] = [];
    const state = new MemoryStateStore();
    const guard = new StateSessionGuard(state, { record: (e) => void events.push(e) }, pino({ level: 'silent' }));
    await guard.bind('everything:s1', p('alice'));
    assert.equal(await guard.permits('everything:s1', p('alice')), true);
    assert.equal(await guard.permits('everything:s1', p('bob')), false);
    // Same id, another method or issuer: another principal.
    assert.equal(await guard.permits('everything:s1', p('alice', 'api_key', undefined as never)), false);
    assert.equal(await guard.permits('everything:s1', p('alice', 'jwt', 'https://other-idp')), false);
    // Keyed per upstream.
    assert.equal(await guard.permits('other:s1', p('bob')), true);
    // A second bind by another principal does not steal the session, and is audited.
    await guard.bind('everything:s1', p('bob'));
    assert.equal(await guard.permits('everything:s1', p('bob')), false);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'session.binding_refused');
    assert.equal(events[0]!.upstream, 'everything');
    assert.equal(events[0]!.sessionId, 's1');
    // Re-binding by the owner is silent.
    await guard.bind('everything:s1', p('alice'));
    assert.equal(events.length, 1);
    await guard.release('everything:s1');
    assert.equal(await state.get('session:everything:s1'), undefined);
  });

  it('shares bindings through the StateStore (two replicas, one store)', async () => {
    const state = new MemoryStateStore();
    const a = new StateSessionGuard(state, { record: () => {} }, pino({ level: 'silent' }));
    const b = new StateSessionGuard(state, { record: () => {} }, pino({ level: 'silent' }));
    await a.bind('everything:s2', p('alice'));
    assert.equal(await b.permits('everything:s2', p('mallory')), false);
  });
});
