/**
 * Policy evaluation speed: the default policy (policies/, compiled to wasm with the real OPA CLI)
 * on realistic inputs, per decision kind. Reports evaluations/s and p50/p99 per decision for the
 * raw wasm evaluation (cache off), with the decision cache (hits), and for the whole policy stage
 * (input building, edit mode and pin look-ups in the StateStore, evaluation, decision note).
 * Target: p50 < 30 µs for an uncached evaluation. Run: npm run bench -- policy-eval
 * Reports figures only; it gates nothing.
 */
import { performance } from 'node:perf_hooks';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { summarise } from '../src/jsonrpc/summarise.ts';
import type { JsonRpcMessage } from '../src/jsonrpc/message.ts';
import type { MessageContext } from '../src/pipeline/exchange-context.ts';
import { NO_AUDIT } from '../src/pipeline/audit-port.ts';
import { buildBundle } from '../src/policy/bundle-build.ts';
import { parseBundle } from '../src/policy/bundle.ts';
import { EditMode } from '../src/policy/edit-mode.ts';
import { PolicyEngine } from '../src/policy/policy-engine.ts';
import { PolicyStage } from '../src/policy/policy-stage.ts';
import { ToolCatalogue } from '../src/policy/tool-catalogue.ts';
import { ToolClassifier } from '../src/policy/tool-classifier.ts';
import { MemoryStateStore } from '../src/state/memory-state-store.ts';

const ITERATIONS = Number(process.argv.find((a) => a.startsWith('--iterations='))?.split('=')[1] ?? 20_000);
const REDACTION_TYPES = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS', 'URL', 'AWS_ACCESS_KEY', 'GITHUB_TOKEN', 'JWT', 'PRIVATE_KEY'];
const DATA = {
  tools: { 'get-env': 'deny', 'danger-*': 'deny', echo: 'read' },
  role_map: { 'mcp-operators': 'operator', 'mcp-admins': 'admin' },
  role_claims: ['groups'],
  upstreams: {
    everything: { tools: { 'trigger-*': 'write' }, write_allowlist: ['trigger-*', 'toggle-*'], resources: ['demo://resource/static/*'], prompts: ['simple-*'] },
    fs: { arguments: { 'read_*': { path: { prefix: ['/srv/data/'], max_length: 4096 } } } },
  },
  redaction: { exempt: [{ roles: ['admin'], types: ['IP_ADDRESS'] }, { tools: ['get-sum'], types: '*' }] },
};

const TOOLS = [
  { name: 'echo', description: 'Echoes back the input string', inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] }, annotations: { readOnlyHint: true } },
  { name: 'get-sum', description: 'Returns the sum of two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } }, annotations: { readOnlyHint: true } },
  { name: 'get-env', description: 'Returns all environment variables', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-tiny-image', description: 'Returns a tiny image', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'trigger-long-running-operation', description: 'Demonstrates a long running operation with progress updates', inputSchema: { type: 'object' } },
  { name: 'toggle-simulated-logging', description: 'Toggles simulated logging', inputSchema: { type: 'object' } },
  { name: 'gzip-file-as-resource', description: 'Compresses a file', inputSchema: { type: 'object' }, annotations: { destructiveHint: false } },
  { name: 'get-annotated-message', description: 'Annotated message', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-resource-links', description: 'Resource links', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-resource-reference', description: 'Resource reference', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'get-structured-content', description: 'Structured content', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'trigger-sampling-request', description: 'Sampling', inputSchema: { type: 'object' } },
  { name: 'trigger-elicitation-request', description: 'Elicitation', inputSchema: { type: 'object' } },
];

const principal = { id: 'alice@example.com', issuer: 'https://idp.example.com', auth: 'jwt' as const, roles: ['mcp-operators'], scopes: ['mcp:read', 'mcp:write'], claims: { groups: ['eng', 'mcp-operators'], email_verified: true } };

function ctx(message: JsonRpcMessage, request?: MessageContext, direction: 'to_server' | 'to_client' = 'to_server', upstream = 'everything'): MessageContext {
  return {
    decisionId: '00000000-0000-4000-8000-000000000000',
    direction,
    connection: { transport: 'streamable-http', upstream, clientIp: '10.1.2.3', userAgent: 'claude-code/1.0', protocolVersion: '2025-11-25', sessionId: '6f1c2d3e-4a5b-4c6d-8e7f-901234567890', principal },
    receivedAt: 0,
    message,
    raw: undefined,
    summary: summarise(message, request?.summary.method),
    request,
    notes: new Map(),
  };
}

function stats(samples: number[]): { perSec: number; p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  const total = samples.reduce((s, x) => s + x, 0);
  return { perSec: Math.round(samples.length / (total / 1000)), p50: (samples[Math.floor(samples.length * 0.5)] ?? 0) * 1000, p99: (samples[Math.floor(samples.length * 0.99)] ?? 0) * 1000 };
}

async function measure(name: string, run: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(2_000, ITERATIONS); i++) await run();
  const samples = new Array<number>(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    await run();
    samples[i] = performance.now() - t;
  }
  const s = stats(samples);
  console.log(`${name.padEnd(58)} ${String(s.perSec).padStart(9)}/s   p50 ${s.p50.toFixed(1).padStart(6)} µs   p99 ${s.p99.toFixed(1).padStart(7)} µs`);
}

const tmp = await mkdtemp(join(tmpdir(), 'warden-policy-bench-'));
try {
  const out = join(tmp, 'bundle.tar.gz');
  await buildBundle({ dir: resolve(import.meta.dirname, '../policies'), out, entrypoints: ['mcp_warden/decision'], revision: 'bench' });
  const bundle = await parseBundle(await readFile(out), { maxBytes: 1 << 26, verification: { required: false, keys: [], scope: undefined }, entrypoint: 'mcp_warden/decision', source: out });
  const logger = pino({ level: 'silent' });

  const engines = {
    uncached: new PolicyEngine({ data: DATA, redactionTypes: REDACTION_TYPES, entrypoint: 'mcp_warden/decision', cache: { enabled: false, maxEntries: 1 } }),
    cached: new PolicyEngine({ data: DATA, redactionTypes: REDACTION_TYPES, entrypoint: 'mcp_warden/decision', cache: { enabled: true, maxEntries: 10_000 }, keyOmitsIds: true }),
  };
  for (const e of Object.values(engines)) e.activate(await e.prepare(bundle));

  const state = new MemoryStateStore();
  const editMode = new EditMode({ state, audit: NO_AUDIT, logger, upstreams: ['everything', 'fs'], defaultMinutes: 15, maxMinutes: 60 });
  const catalogue = new ToolCatalogue(state, NO_AUDIT, logger);
  const stages = {
    uncached: new PolicyStage({ engine: engines.uncached, catalogue, classifier: new ToolClassifier(DATA), editMode, logger }),
    cached: new PolicyStage({ engine: engines.cached, catalogue, classifier: new ToolClassifier(DATA), editMode, logger }),
  };
  const listReq = ctx({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  await stages.uncached.process(listReq);
  await stages.uncached.process(ctx({ jsonrpc: '2.0', id: 1, result: { tools: TOOLS } }, listReq, 'to_client'));

  const call = (name: string, args: Record<string, unknown>, upstream = 'everything') => ctx({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } }, undefined, 'to_server', upstream);
  const toolInput = (name: string, cls: string) => ({ name, canonical_name: name, class: cls, annotations: { readOnlyHint: cls === 'read' }, pinned: true, definition: 'approved' });
  const base = { principal: { ...principal, issuer: principal.issuer }, request: { transport: 'streamable-http', protocol_version: '2025-11-25', session_id: 's', client_ip: '10.1.2.3', user_agent: 'claude-code/1.0', upstream: 'everything' }, mode: { edit: false, edit_expires_at: null } };
  const inputs: [string, unknown][] = [
    ['tools/call read tool, allowed', { ...base, message: { direction: 'to_server', kind: 'request', method: 'tools/call', id: 7, params: { name: 'echo', arguments: { message: 'hello world, please echo this back' } } }, tool: toolInput('echo', 'read') }],
    ['tools/call denied tool', { ...base, message: { direction: 'to_server', kind: 'request', method: 'tools/call', id: 7, params: { name: 'get-env', arguments: {} } }, tool: toolInput('get-env', 'read') }],
    ['tools/call write tool outside edit mode, denied', { ...base, message: { direction: 'to_server', kind: 'request', method: 'tools/call', id: 7, params: { name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 5 } } }, tool: toolInput('trigger-long-running-operation', 'write') }],
    ['tools/call with argument constraint (fs read_file)', { ...base, request: { ...base.request, upstream: 'fs' }, message: { direction: 'to_server', kind: 'request', method: 'tools/call', id: 7, params: { name: 'read_file', arguments: { path: '/srv/data/reports/2026/q3.csv' } } }, tool: toolInput('read_file', 'read') }],
    ['initialize (protocol method)', { ...base, message: { direction: 'to_server', kind: 'request', method: 'initialize', id: 0, params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } } }],
    ['resources/read by URI pattern', { ...base, message: { direction: 'to_server', kind: 'request', method: 'resources/read', id: 9, params: { uri: 'demo://resource/static/document/architecture.md' } } }],
  ];

  console.log(`default policy, ${ITERATIONS} decisions each (bundle ${bundle.wasm.length} bytes of wasm)\n`);
  console.log('-- engine.evaluate, no cache (the compiled policy itself)');
  for (const [name, input] of inputs) await measure(name, () => engines.uncached.evaluate(input));
  console.log('\n-- engine.evaluate, decision cache hit');
  for (const [name, input] of inputs.slice(0, 2)) await measure(name, () => engines.cached.evaluate(input));
  console.log('\n-- policy stage (input building + StateStore look-ups + evaluation)');
  await measure('stage: tools/call read tool (no cache)', () => stages.uncached.process(call('echo', { message: 'hello world' })));
  await measure('stage: tools/call read tool (cache)', () => stages.cached.process(call('echo', { message: 'hello world' })));
  await measure('stage: tools/call denied tool (no cache)', () => stages.uncached.process(call('get-env', {})));
  await measure('stage: tools/list reply with 13 tools, filtered (no cache)', () => stages.uncached.process(ctx({ jsonrpc: '2.0', id: 1, result: { tools: TOOLS } }, listReq, 'to_client')));
  await measure('stage: tools/list reply with 13 tools, filtered (cache)', () => stages.cached.process(ctx({ jsonrpc: '2.0', id: 1, result: { tools: TOOLS } }, listReq, 'to_client')));
  editMode.close();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
