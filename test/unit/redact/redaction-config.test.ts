import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, ConfigError } from '../../../src/config/load-config.ts';
import { redactionConfigSchema, redactionEntityTypes } from '../../../src/redact/redaction-config.ts';
import { BUILTIN_ENTITY_TYPES } from '../../../src/redact/entity-types.ts';

function load(redaction: unknown): unknown {
  return parseConfig(JSON.stringify({ upstreams: [{ name: 'u', url: 'http://127.0.0.1:1/mcp', path: '/mcp' }], policy: { bundle: 'policies/' }, redaction }), 'c.json').redaction;
}

function refusal(redaction: unknown): string {
  try {
    load(redaction);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('config was accepted');
}

describe('redaction config', () => {
  it('defaults: enabled, mask everything, no argument or blob scanning', () => {
    assert.deepEqual(redactionConfigSchema.parse(undefined), { enabled: true, default_action: 'mask', actions: {}, scan_arguments: false, scan_blobs: false, custom: [] });
    assert.deepEqual(load({ enabled: true }), redactionConfigSchema.parse(undefined));
  });

  it('refuses, at load and naming the key, a custom pattern RE2 cannot run in linear time', () => {
    assert.match(refusal({ custom: [{ type: 'X_ID', pattern: '(a)\\1' }] }), /redaction\.custom\[0\]\.pattern: pattern refused: .*invalid escape sequence/);
    assert.match(refusal({ custom: [{ type: 'X_ID', pattern: 'a(?=b)' }] }), /redaction\.custom\[0\]\.pattern: pattern refused/);
    assert.match(refusal({ custom: [{ type: 'X_ID', pattern: 'a*' }] }), /matches the empty string/);
  });

  it('refuses unknown entity types, lower-case names, and hash without a key', () => {
    assert.match(refusal({ actions: { EMAIL: 'mask' } }), /redaction\.actions\.EMAIL: unknown entity type/);
    assert.match(refusal({ custom: [{ type: 'emp', pattern: 'E[0-9]+' }] }), /redaction\.custom\[0\]\.type/);
    assert.match(refusal({ actions: { EMAIL_ADDRESS: 'hash' } }), /redaction\.hash_key: the hash action needs hash_key/);
    assert.match(refusal({ actions: { EMAIL_ADDRESS: 'shred' } }), /redaction\.actions\.EMAIL_ADDRESS/);
    assert.ok(load({ actions: { EMAIL_ADDRESS: 'hash' }, hash_key: 'x'.repeat(16) }));
  });

  it('the types handed to policy are the built-in ones plus the custom ones', () => {
    const config = redactionConfigSchema.parse({ custom: [{ type: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }] });
    assert.deepEqual(redactionEntityTypes(config), [...BUILTIN_ENTITY_TYPES, 'EMPLOYEE_ID']);
  });
});
