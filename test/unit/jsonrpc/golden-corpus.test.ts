import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { allowsBatch, checkMcpHeaders, isStatelessEra, KNOWN_PROTOCOL_VERSIONS } from '../../../src/jsonrpc/protocol-version.ts';
import { serialise } from '../../../src/jsonrpc/serialise.ts';
import { serialiseSseEvent, SseParser } from '../../../src/jsonrpc/sse.ts';
import { parseStrictJson } from '../../../src/jsonrpc/strict-json.ts';
import { summarise } from '../../../src/jsonrpc/summarise.ts';
import { toMessages } from '../../../src/jsonrpc/validate.ts';
import type { Entry } from '../../fixtures/wire/index-entry.ts';

/**
 * The golden corpus (test/fixtures/wire/<revision>/): real wire messages captured from
 * server-everything and the SDK v2 fixture by test/fixtures/wire/capture.ts. Every message must
 * pass the strict parser and JSON-RPC validation under its own revision, and summarise to what
 * index.json says (written from what the capture did: the tool it called, the method it sent).
 */

const WIRE = join(import.meta.dirname, '..', '..', 'fixtures', 'wire');
const LIMITS = { maxDepth: 64 };
const revisions = readdirSync(WIRE).filter((name) => /^\d{4}-\d{2}-\d{2}$/.test(name)).sort();

function load(revision: string): { entry: Entry; bytes: Buffer }[] {
  const index = JSON.parse(readFileSync(join(WIRE, revision, 'index.json'), 'utf8')) as Entry[];
  return index.map((entry) => ({ entry, bytes: readFileSync(join(WIRE, revision, entry.file)) }));
}

describe('golden wire corpus', () => {
  it('covers every known protocol revision', () => {
    assert.deepEqual(revisions, [...KNOWN_PROTOCOL_VERSIONS]);
  });

  for (const revision of revisions) {
    describe(revision, () => {
      const corpus = load(revision);

      it('has the messages the proxy must carry', () => {
        const methods = new Set(corpus.map(({ entry }) => entry.expect.method));
        const wanted = isStatelessEra(revision) ? ['server/discover', 'tools/list', 'tools/call'] : ['initialize', 'notifications/initialized', 'tools/list', 'tools/call', 'resources/read', 'prompts/get', 'sampling/createMessage', 'roots/list', 'ping'];
        if (revision >= '2025-06-18' && !isStatelessEra(revision)) wanted.push('elicitation/create');
        for (const method of wanted) assert.ok(methods.has(method), `${revision} corpus lacks ${method}`);
        assert.ok(corpus.some(({ entry }) => entry.expect.isError === true), 'an error response');
        assert.ok(corpus.some(({ entry }) => entry.expect.kind === 'notification' && entry.direction === 'to_client') || !isStatelessEra(revision), 'a server notification');
        if (revision === '2025-03-26') assert.ok(corpus.some(({ entry }) => entry.batch), 'a batch');
      });

      for (const { entry, bytes } of corpus) {
        it(`${entry.file}: parses, validates and summarises`, () => {
          const value = parseStrictJson(bytes, LIMITS);
          const { messages, batch } = toMessages(value, { allowBatch: allowsBatch(revision) });
          assert.equal(batch, entry.batch === true);
          const first = messages[0]!;
          const summary = summarise(first, entry.requestMethod);
          assert.equal(summary.kind, entry.expect.kind);
          assert.equal(summary.method, entry.expect.method);
          assert.equal(summary.tool, entry.expect.tool);
          assert.equal(summary.resourceUri, entry.expect.resourceUri);
          assert.equal(summary.prompt, entry.expect.prompt);
          if (entry.expect.isError !== undefined) assert.equal(summary.isError, entry.expect.isError);
          assert.equal(summary.id, 'id' in first ? first.id : undefined);
          // Our own serialisation reads back as the same message.
          for (const message of messages) assert.deepEqual(parseStrictJson(Buffer.from(serialise(message)), LIMITS), message);
        });
      }

      it('the whole corpus as one SSE stream, chunked at 7 bytes, gives back every message', () => {
        const stream = corpus.map(({ bytes }, i) => serialiseSseEvent({ event: 'message', id: String(i), data: bytes.toString('utf8') })).join('');
        const parser = new SseParser({ maxEventBytes: 4 << 20 });
        const all = Buffer.from(stream);
        const events = [];
        for (let at = 0; at < all.length; at += 7) events.push(...parser.push(all.subarray(at, at + 7)));
        assert.deepEqual(
          events.map((e) => parseStrictJson(Buffer.from(e.data), LIMITS)),
          corpus.map(({ bytes }) => parseStrictJson(bytes, LIMITS)),
        );
      });

      if (isStatelessEra(revision)) {
        it('the real client’s Mcp-Method / Mcp-Name headers agree with the bodies, and tampering is caught', () => {
          const requests = corpus.filter(({ entry }) => entry.headers !== undefined);
          assert.ok(requests.length > 0);
          for (const { entry, bytes } of requests) {
            const message = toMessages(parseStrictJson(bytes, LIMITS), { allowBatch: false }).messages[0]!;
            const headers = { method: entry.headers!.method, name: entry.headers!.name };
            assert.equal(checkMcpHeaders(headers, message), undefined, entry.file);
            const tampered = checkMcpHeaders({ ...headers, method: 'tools/list-not' }, message);
            assert.ok(tampered instanceof WardenError && tampered.code === 'WARDEN_ERR_HTTP_HEADER_MISMATCH');
            if (entry.expect.tool !== undefined) {
              const renamed = checkMcpHeaders({ ...headers, name: 'some-other-tool' }, message);
              assert.ok(renamed instanceof WardenError && renamed.code === 'WARDEN_ERR_HTTP_HEADER_MISMATCH');
            }
          }
        });
      }
    });
  }

  it('the 2025-03-26 batch is refused as BATCH_FORBIDDEN under every other revision', () => {
    const batch = load('2025-03-26').find(({ entry }) => entry.batch)!;
    const value = parseStrictJson(batch.bytes, LIMITS);
    for (const revision of KNOWN_PROTOCOL_VERSIONS.filter((v) => v !== '2025-03-26')) {
      assert.throws(
        () => toMessages(value, { allowBatch: allowsBatch(revision) }),
        (err: unknown) => err instanceof WardenError && err.code === 'WARDEN_ERR_JSONRPC_BATCH_FORBIDDEN',
        revision,
      );
    }
  });

  it('a corpus message with a key duplicated is refused (what another parser would read differently)', () => {
    const call = load('2025-11-25').find(({ entry }) => entry.expect.tool === 'echo' && entry.expect.kind === 'request')!;
    const smuggled = Buffer.from(call.bytes.toString('utf8').replace('"name":"echo"', '"name":"echo","name":"get-env"'));
    assert.throws(() => parseStrictJson(smuggled, LIMITS), (err: unknown) => err instanceof WardenError && err.code === 'WARDEN_ERR_JSONRPC_DUPLICATE_KEY');
  });
});
