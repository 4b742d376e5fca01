import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { metricsRegistry } from '../../../src/metrics/registry.ts';
import { DECISION_NOTE, type Decision } from '../../../src/pipeline/decision.ts';
import { Pipeline } from '../../../src/pipeline/pipeline.ts';
import type { PolicyBundle } from '../../../src/policy/bundle.ts';
import { EditMode } from '../../../src/policy/edit-mode.ts';
import { PolicyEngine } from '../../../src/policy/policy-engine.ts';
import { PolicyStage } from '../../../src/policy/policy-stage.ts';
import { ToolCatalogue } from '../../../src/policy/tool-catalogue.ts';
import { ToolClassifier } from '../../../src/policy/tool-classifier.ts';
import { Correlator } from '../../../src/transports/correlator.ts';
import { MessageProcessor, refusalReply } from '../../../src/transports/message-processor.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { EVERYTHING_TOOLS, REDACTION_TYPES, SILENT, connection, defaultBundle, recordingAudit } from './policy-helpers.ts';

/**
 * A response whose request is not (or no longer) in the correlator is not covered by list
 * filtering: if it carries a list it must be refused, never reach the client unfiltered. Runs the
 * real correlator, message processor, pipeline and policy stage on the default policy (real wasm).
 */
const DATA = { tools: { 'get-env': 'deny' } };
let bundle: PolicyBundle;
before(async () => {
  bundle = await defaultBundle('unpaired-test');
});

async function setup(correlator: Correlator) {
  const state = new MemoryStateStore();
  const engine = new PolicyEngine({ data: DATA, redactionTypes: REDACTION_TYPES, entrypoint: 'mcp_warden/decision', cache: { enabled: false, maxEntries: 1 } });
  engine.activate(await engine.prepare(bundle));
  const editMode = new EditMode({ state, audit: recordingAudit(), logger: SILENT, upstreams: ['everything'], defaultMinutes: 15, maxMinutes: 60 });
  const stage = new PolicyStage({ engine, catalogue: new ToolCatalogue(state, recordingAudit(), SILENT), classifier: new ToolClassifier(DATA), editMode, logger: SILENT });
  const processor = new MessageProcessor(new Pipeline({ toServer: [stage], toClient: [stage] }), { maxDepth: 64 }, SILENT);
  const conn = connection();
  const send = (message: unknown, direction: 'to_server' | 'to_client') => processor.processBytes(Buffer.from(JSON.stringify(message)), direction, conn, correlator, { allowBatch: false });
  return { send, close: () => editMode.close() };
}

async function unpairedCount(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('mcp_warden_policy_unpaired_list_replies_total')?.get();
  return metric?.values.find((v) => v.labels.upstream === 'everything')?.value ?? 0;
}

const LIST_REPLY = (id: number, field = 'tools', items: unknown[] = EVERYTHING_TOOLS) => ({ jsonrpc: '2.0', id, result: { [field]: items } });

describe('responses to no pending request that carry a list', () => {
  it('a tools list answering an id never sent is refused (dropped), counted and noted for audit', async () => {
    const t = await setup(new Correlator());
    const before = await unpairedCount();
    const out = await t.send(LIST_REPLY(4242), 'to_client');
    const item = out.items[0]!;
    assert.equal(item.outcome.action, 'reject');
    assert.equal(item.outcome.action === 'reject' && item.outcome.error.code, 'WARDEN_ERR_POLICY_DENIED');
    assert.equal(refusalReply(item), undefined, 'a refused response is dropped, not answered');
    assert.equal((item.ctx.notes.get(DECISION_NOTE) as Decision).rule, 'warden.unpaired_list_reply');
    assert.equal(await unpairedCount(), before + 1);
    t.close();
  });

  for (const field of ['prompts', 'resources', 'resourceTemplates']) {
    it(`a ${field} list answering an id never sent is refused too`, async () => {
      const t = await setup(new Correlator());
      const out = await t.send(LIST_REPLY(7, field, [{ name: 'x', uri: 'file:///etc/passwd', uriTemplate: 'file:///{p}' }]), 'to_client');
      assert.equal(out.items[0]!.outcome.action, 'reject');
      t.close();
    });
  }

  it('a tools/list reply arriving after its request passed the TTL is refused', async () => {
    const t = await setup(new Correlator(1024, -1)); // every entry is already past its TTL when taken
    assert.equal((await t.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, 'to_server')).items[0]!.outcome.action, 'forward');
    assert.equal((await t.send(LIST_REPLY(1), 'to_client')).items[0]!.outcome.action, 'reject');
    t.close();
  });

  it('a tools/list reply whose request was evicted (too many pending) is refused; a paired one is filtered', async () => {
    const t = await setup(new Correlator(2));
    for (const id of [1, 2, 3]) await t.send({ jsonrpc: '2.0', id, method: 'tools/list' }, 'to_server');
    assert.equal((await t.send(LIST_REPLY(1), 'to_client')).items[0]!.outcome.action, 'reject', 'id 1 was evicted');
    const paired = (await t.send(LIST_REPLY(3), 'to_client')).items[0]!;
    assert.equal(paired.outcome.action, 'forward');
    const names = (paired.outcome.action === 'forward' ? (paired.outcome.message as { result: { tools: { name: string }[] } }).result.tools : []).map((x) => x.name);
    assert.ok(names.includes('echo') && !names.includes('get-env'), names.join(','));
    t.close();
  });

  it('unpaired responses that list nothing still pass: results, errors, an empty result', async () => {
    const t = await setup(new Correlator());
    for (const message of [
      { jsonrpc: '2.0', id: 5, result: { content: [{ type: 'text', text: 'late answer' }] } },
      { jsonrpc: '2.0', id: 6, error: { code: -32601, message: 'Method not found' } },
      { jsonrpc: '2.0', id: 8, result: {} },
    ]) {
      assert.equal((await t.send(message, 'to_client')).items[0]!.outcome.action, 'forward', JSON.stringify(message));
    }
    t.close();
  });
});
