import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBundle, type PolicyBundle } from '../../../src/policy/bundle.ts';
import { buildBundle } from '../../../src/policy/bundle-build.ts';
import { readFile } from 'node:fs/promises';
import { validateDecision, validateResultSet } from '../../../src/policy/decision-validator.ts';
import { PATTERN_INDEX_ENTRYPOINT } from '../../../src/policy/pattern-index.ts';
import { PolicyEngine, SMOKE_INPUT } from '../../../src/policy/policy-engine.ts';
import { REDACTION_TYPES, defaultBundle } from './policy-helpers.ts';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'warden-engine-test-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Compiles one Rego module (package t, entrypoint t/decision) with the real OPA CLI. */
async function regoBundle(name: string, rego: string): Promise<PolicyBundle> {
  const dir = join(tmp, name);
  await (await import('node:fs/promises')).mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'p.rego'), `package t\n\nimport rego.v1\n\n${rego}\n`);
  const out = join(tmp, `${name}.tar.gz`);
  await buildBundle({ dir, out, entrypoints: ['t/decision'], revision: name });
  return parseBundle(await readFile(out), { maxBytes: 1 << 24, verification: { required: false, keys: [], scope: undefined }, entrypoint: 't/decision', source: name });
}

function engine(entrypoint = 't/decision', cache = true): PolicyEngine {
  return new PolicyEngine({ data: {}, redactionTypes: REDACTION_TYPES, entrypoint, cache: { enabled: cache, maxEntries: 100 } });
}

describe('decision validation (fail closed)', () => {
  const cases: [string, unknown][] = [
    ['undefined decision', []],
    ['not a list', { result: { allow: true } }],
    ['two results', [{ result: { allow: true, rule: 'a' } }, { result: { allow: true, rule: 'b' } }]],
    ['no result member', [{}]],
    ['allow is a string', [{ result: { allow: 'true', rule: 'a' } }]],
    ['allow is 1', [{ result: { allow: 1, rule: 'a' } }]],
    ['allow missing', [{ result: { rule: 'a' } }]],
    ['decision is a boolean', [{ result: true }]],
    ['decision is null', [{ result: null }]],
    ['redact not a list', [{ result: { allow: true, rule: 'a', redact: 'EMAIL_ADDRESS' } }]],
    ['redact holds a number', [{ result: { allow: true, rule: 'a', redact: [1] } }]],
    ['audit level unknown', [{ result: { allow: true, rule: 'a', audit: { level: 'everything' } } }]],
    ['allow without rule', [{ result: { allow: true } }]],
  ];
  for (const [name, resultSet] of cases) {
    it(`${name} is a deny`, () => {
      const v = validateResultSet(resultSet, REDACTION_TYPES);
      assert.equal(v.allow, false);
      assert.equal(v.rule, 'warden.fail_closed');
      assert.deepEqual(v.redact, [...REDACTION_TYPES]);
    });
  }
  it('a well-formed allow is kept; a missing redact means redact everything', () => {
    const v = validateDecision({ allow: true, rule: 'r', reason: 'why' }, REDACTION_TYPES);
    assert.deepEqual(v, { allow: true, rule: 'r', reason: 'why', redact: [...REDACTION_TYPES], audit: { level: 'full' } });
  });
});

describe('policy engine with real compiled wasm', () => {
  it('evaluates the default policy', async () => {
    const e = new PolicyEngine({ data: {}, redactionTypes: REDACTION_TYPES, entrypoint: 'mcp_warden/decision', cache: { enabled: false, maxEntries: 1 } });
    e.activate(await e.prepare(await defaultBundle()));
    assert.equal(e.evaluate(SMOKE_INPUT).allow, true);
    assert.equal(e.revision, 'test-rev');
  });

  it('the default policy matches patterns through its load-time index exactly as glob.match does in wasm', async () => {
    const bundle = await defaultBundle();
    const globBundle = await regoBundle('glob', 'decision := {"allow": m, "rule": "glob"} if m := glob.match(object.get(input, "p", ""), null, object.get(input, "s", ""))');
    const glob = engine();
    glob.activate(await glob.prepare(globBundle));
    const cases: [string, string][] = [
      ['demo://a/b', 'demo://a/b'], ['demo://a/b', 'demo://a/bc'], ['demo://a/*', 'demo://a/x/y.md'], ['demo://a/*', 'demo://b/x'],
      ['*', 'anything://at/all'], ['a/*', 'demo://a/x'], ['*.md', 'demo://x.md'], ['demo://?', 'demo://x'], ['demo://?', 'demo://xy'], ['{a,b}://*', 'b://x'],
      ['[ab]://x', 'c://x'], ['a\\*', 'a*'], ['a\\*', 'ab'],
      // `*` in wasm's glob.match does not match a line break; the prefix shape must not either.
      ['demo://a/*', 'demo://a/x\ny'], ['demo://a/*', 'demo://a/\n'], ['*', 'x\ny'], ['demo://*', 'demo://\r'],
    ];
    for (const [pattern, uri] of cases) {
      const e = new PolicyEngine({ data: { resources: [pattern] }, redactionTypes: REDACTION_TYPES, entrypoint: 'mcp_warden/decision', cache: { enabled: false, maxEntries: 1 } });
      const prepared = await e.prepare(bundle);
      assert.ok(PATTERN_INDEX_ENTRYPOINT in (prepared.policy.entrypoints as Record<string, number>), 'the default bundle carries its index entrypoint');
      e.activate(prepared);
      const read = e.evaluate({ ...SMOKE_INPUT, message: { ...SMOKE_INPUT.message, method: 'resources/read', params: { uri } } });
      assert.equal(read.allow, glob.evaluate({ ...SMOKE_INPUT, p: pattern, s: uri }).allow, `${pattern} against ${uri}`);
    }
  });

  it('no policy loaded: deny', () => {
    assert.equal(engine().evaluate(SMOKE_INPUT).allow, false);
  });

  it('an undefined decision fails the smoke evaluation', async () => {
    const b = await regoBundle('undef', 'decision := {"allow": true, "rule": "x"} if input.never == true');
    await assert.rejects(engine().prepare(b), /smoke evaluation/);
  });

  it('a non-boolean allow fails the smoke evaluation', async () => {
    const b = await regoBundle('nonbool', 'decision := {"allow": "yes", "rule": "x"}');
    await assert.rejects(engine().prepare(b), /smoke evaluation/);
  });

  it('an evaluation error (conflicting values) is a deny, not an exception', async () => {
    const b = await regoBundle('conflict', 'decision := {"allow": true, "rule": "a"} if input.message.method == "initialize"\n\ndecision := {"allow": true, "rule": "b"} if input.x == 1\n\ndecision := {"allow": false, "rule": "c"} if input.x == 1');
    const e = engine();
    e.activate(await e.prepare(b));
    assert.equal(e.evaluate(SMOKE_INPUT).allow, true);
    const v = e.evaluate({ ...SMOKE_INPUT, x: 1 });
    assert.equal(v.allow, false);
    assert.equal(v.rule, 'warden.fail_closed');
  });

  it('a decision that is undefined for one input is a deny for it', async () => {
    const b = await regoBundle('partial', 'decision := {"allow": true, "rule": "init"} if input.message.method == "initialize"');
    const e = engine();
    e.activate(await e.prepare(b));
    const v = e.evaluate({ ...SMOKE_INPUT, message: { ...SMOKE_INPUT.message, method: 'tools/call' } });
    assert.equal(v.allow, false);
    assert.match(v.reason, /undefined/);
  });

  it('a bundle without the configured entrypoint is refused', async () => {
    const b = await regoBundle('other-ep', 'decision := {"allow": true, "rule": "x"}');
    await assert.rejects(engine('t/elsewhere').prepare(b), /entrypoint/);
  });

  it('a cached decision never outlives a bundle swap', async () => {
    const allowAll = await regoBundle('allow-all', 'decision := {"allow": true, "rule": "all"}');
    const allowInit = await regoBundle('allow-init', 'decision := {"allow": true, "rule": "init"} if input.message.method == "initialize"\n\ndecision := {"allow": false, "rule": "no"} if input.message.method != "initialize"');
    const e = engine('t/decision', true);
    e.activate(await e.prepare(allowAll));
    const input = { ...SMOKE_INPUT, message: { ...SMOKE_INPUT.message, method: 'tools/call' } };
    assert.equal(e.evaluate(input).allow, true);
    assert.equal(e.evaluate(input).allow, true); // now cached
    e.activate(await e.prepare(allowInit));
    assert.equal(e.evaluate(input).allow, false);
  });

  it('the cache key leaves out message and session ids only when asked to (the default policy does not read them)', async () => {
    const b = await regoBundle('by-id', 'decision := {"allow": input.message.id == 1, "rule": "id"}');
    const careful = engine('t/decision', true);
    careful.activate(await careful.prepare(b));
    const first = { ...SMOKE_INPUT, message: { ...SMOKE_INPUT.message, id: 1 } };
    const second = { ...SMOKE_INPUT, message: { ...SMOKE_INPUT.message, id: 2 } };
    assert.equal(careful.evaluate(first).allow, true);
    assert.equal(careful.evaluate(second).allow, false);
    const sharing = new PolicyEngine({ data: {}, redactionTypes: REDACTION_TYPES, entrypoint: 't/decision', cache: { enabled: true, maxEntries: 10 }, keyOmitsIds: true });
    sharing.activate(await sharing.prepare(b));
    assert.equal(sharing.evaluate(first).allow, true);
    assert.equal(sharing.evaluate(second).allow, true, 'served from the cache: proves the key left the id out');
  });

  it('a cached decision never outlives an edit mode change (the mode is part of the input)', async () => {
    const b = await regoBundle('edit', 'decision := {"allow": input.mode.edit, "rule": "edit"}');
    const e = engine('t/decision', true);
    e.activate(await e.prepare(b));
    assert.equal(e.evaluate(SMOKE_INPUT).allow, false);
    assert.equal(e.evaluate({ ...SMOKE_INPUT, mode: { edit: true, edit_expires_at: 'x' } }).allow, true);
    assert.equal(e.evaluate(SMOKE_INPUT).allow, false);
  });
});
