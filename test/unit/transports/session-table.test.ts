import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTable } from '../../../src/transports/session-table.ts';

describe('SessionTable', () => {
  it('evicts the least recently used session past its size and says which (so its binding is released)', () => {
    const forgotten: string[] = [];
    const table = new SessionTable(2, 60_000, (key) => forgotten.push(key));
    table.open('u:a', undefined);
    table.open('u:b', undefined);
    table.get('u:a'); // a is now the most recent
    table.open('u:c', undefined);
    assert.deepEqual(forgotten, ['u:b']);
    assert.equal(table.get('u:b'), undefined);
    assert.ok(table.get('u:a'));
    assert.ok(table.get('u:c'));
  });

  it('forgets an idle session on lookup and says so; an explicit delete is not reported', (t) => {
    t.mock.timers.enable({ apis: ['Date'] });
    const forgotten: string[] = [];
    const table = new SessionTable(10, 1_000, (key) => forgotten.push(key));
    table.open('u:idle', undefined);
    table.open('u:ended', undefined);
    table.delete('u:ended');
    t.mock.timers.tick(1_001);
    assert.equal(table.get('u:idle'), undefined);
    assert.deepEqual(forgotten, ['u:idle']);
  });
});
