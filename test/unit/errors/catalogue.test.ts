import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS } from '../../../src/errors/catalogue.ts';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

  it('documents every code, with its JSON-RPC code and HTTP status', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = doc.split('\n').find((line) => line.includes(`\`${code}\``));
      assert.ok(row, `${code} is not documented in docs/errors.md`);
      assert.ok(row.includes(String(spec.jsonrpcCode)), `${code}: JSON-RPC code ${spec.jsonrpcCode} not in its row`);
      assert.ok(row.includes(String(spec.httpStatus)), `${code}: HTTP status ${spec.httpStatus} not in its row`);
    }
  });

  it('names codes WARDEN_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERRORS)) assert.match(code, /^WARDEN_ERR_[A-Z0-9]+_[A-Z0-9_]+$/);
  });
});
