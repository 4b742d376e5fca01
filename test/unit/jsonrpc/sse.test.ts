import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WardenError } from '../../../src/errors/warden-error.ts';
import { serialiseSseEvent, SseParser, type SseEvent } from '../../../src/jsonrpc/sse.ts';

const MAX = 1 << 20;

function parseAll(chunks: (string | Uint8Array)[], maxEventBytes = MAX): SseEvent[] {
  const parser = new SseParser({ maxEventBytes });
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
  events.push(...parser.end());
  return events;
}

const ev = (data: string, extra: Partial<SseEvent> = {}): SseEvent => ({ event: undefined, data, id: undefined, retry: undefined, ...extra });

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof WardenError && err.code === code);
}

describe('SseParser', () => {
  it('parses event, data, id and retry fields, dispatching on a blank line', () => {
    assert.deepEqual(parseAll(['event: message\nid: 7\nretry: 1500\ndata: {"a":1}\n\n']), [ev('{"a":1}', { event: 'message', id: '7', retry: 1500 })]);
  });

  it('accepts LF, CR and CRLF line ends, mixed', () => {
    assert.deepEqual(parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']), [ev('a'), ev('b'), ev('c')]);
  });

  it('a CR at the end of one chunk and an LF at the start of the next are ONE line end', () => {
    assert.deepEqual(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [ev('a\nb')]);
  });

  it('a CR at the end of a chunk followed by something else is a line end on its own', () => {
    assert.deepEqual(parseAll(['data: a\r', 'data: b\n\n']), [ev('a\nb')]);
  });

  it('joins multi-line data with LF', () => {
    assert.deepEqual(parseAll(['data: line 1\ndata: line 2\ndata:\ndata: line 4\n\n']), [ev('line 1\nline 2\n\nline 4')]);
  });

  it('removes exactly one space after the colon', () => {
    assert.deepEqual(parseAll(['data:no space\n\ndata:  two spaces\n\n']), [ev('no space'), ev(' two spaces')]);
  });

  it('a field without a colon has an empty value', () => {
    assert.deepEqual(parseAll(['data\n\n']), [ev('')]);
    assert.deepEqual(parseAll(['data\ndata\n\n']), [ev('\n')]);
  });

  it('ignores comments and unknown fields', () => {
    assert.deepEqual(parseAll([': keep-alive\n\n:comment\nfoo: bar\ndata: x\n\n']), [ev('x')]);
  });

  it('strips one UTF-8 BOM at stream start, even split across chunks', () => {
    assert.deepEqual(parseAll(['\ufeffdata: a\n\n']), [ev('a')]);
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.deepEqual(parseAll([bom.subarray(0, 1), bom.subarray(1, 2), Buffer.concat([bom.subarray(2), Buffer.from('data: a\n\n')])]), [ev('a')]);
  });

  it('a BOM later in the stream is data, not stripped', () => {
    assert.deepEqual(parseAll(['data: a\n\n', 'data: \ufeffb\n\n']), [ev('a'), ev('\ufeffb')]);
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('data: café ☕ 😀\n\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]), [ev('café ☕ 😀')], `cut at ${cut}`);
    }
  });

  it('reports an event with an id and no data (resumption priming), with data ""', () => {
    assert.deepEqual(parseAll(['id: 42\n\n']), [ev('', { id: '42' })]);
    assert.deepEqual(parseAll(['id: 43\ndata:\n\n']), [ev('', { id: '43' })]);
    assert.deepEqual(parseAll(['retry: 100\n\n']), [ev('', { retry: 100 })]);
  });

  it('drops blocks with nothing to report (event type or comments only, blank lines)', () => {
    assert.deepEqual(parseAll(['event: ping\n\n: c\n\n\n\n']), []);
  });

  it('id is per block; an id containing NUL is ignored; a non-numeric retry is ignored', () => {
    assert.deepEqual(parseAll(['id: 1\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\nretry: 1e3\ndata: d\n\n']), [ev('a', { id: '1' }), ev('b'), ev('c'), ev('d')]);
  });

  it('an event without its closing blank line at end of stream is discarded (WHATWG)', () => {
    assert.deepEqual(parseAll(['data: complete\n\ndata: incomplete\n']), [ev('complete')]);
    assert.deepEqual(parseAll(['data: complete\n\ndata: no line end']), [ev('complete')]);
  });

  it('copies partial lines: the caller may reuse its chunk buffer', () => {
    const parser = new SseParser({ maxEventBytes: MAX });
    const chunk = Buffer.from('data: abc');
    assert.deepEqual(parser.push(chunk), []);
    chunk.fill(0x7a);
    assert.deepEqual(parser.push(Buffer.from('def\n\n')), [ev('abcdef')]);
  });

  it('refuses an event larger than maxEventBytes (over several lines)', () => {
    assertCode(() => parseAll([`data: ${'x'.repeat(60)}\ndata: ${'y'.repeat(60)}\n\n`], 100), 'WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE');
  });

  it('refuses a single line larger than maxEventBytes before it ends (bounded memory)', () => {
    const parser = new SseParser({ maxEventBytes: 1000 });
    parser.push(Buffer.from('data: '));
    assertCode(() => {
      for (let i = 0; i < 100; i++) parser.push(Buffer.from('z'.repeat(100)));
    }, 'WARDEN_ERR_SIZE_RESPONSE_TOO_LARGE');
  });

  it('an event exactly at the limit passes; the limit resets per event', () => {
    const line = `data: ${'x'.repeat(93)}`; // 99 bytes + LF = 100
    assert.equal(parseAll([`${line}\n\n${line}\n\n`], 100).length, 2);
  });

  it('keep-alive comments do not add up towards the event limit', () => {
    const comments = ': ping\n'.repeat(1000);
    assert.deepEqual(parseAll([`${comments}data: x\n\n`], 100), [ev('x')]);
  });

  it('refuses invalid UTF-8 in a field (never inspects one thing and forwards another)', () => {
    assertCode(() => parseAll([Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xc3, 0x28, 0x0a, 0x0a])]), 'WARDEN_ERR_JSONRPC_INVALID_UTF8');
  });
});

describe('serialiseSseEvent', () => {
  it('writes the fields and a blank line', () => {
    assert.equal(serialiseSseEvent({ event: 'message', id: '5', retry: 1000, data: '{"a":1}' }), 'event: message\nid: 5\nretry: 1000\ndata: {"a":1}\n\n');
    assert.equal(serialiseSseEvent({ data: 'x' }), 'data: x\n\n');
  });

  it('splits data with newlines into several data lines', () => {
    assert.equal(serialiseSseEvent({ data: 'a\nb\r\nc\rd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('writes empty data as one empty data line (an MCP priming event)', () => {
    assert.equal(serialiseSseEvent({ id: '9', data: '' }), 'id: 9\ndata: \n\n');
  });

  it('skips undefined fields', () => {
    assert.equal(serialiseSseEvent({ event: undefined, id: undefined, retry: undefined, data: 'x' }), 'data: x\n\n');
  });

  it('refuses CR or LF in event or id, NUL in id, and a bad retry (field injection)', () => {
    for (const bad of [{ event: 'a\nid: 1', data: '' }, { event: 'a\r', data: '' }, { id: '1\ndata: evil', data: '' }, { id: '1\r', data: '' }, { id: 'a\u0000', data: '' }, { retry: -1, data: '' }, { retry: 1.5, data: '' }]) {
      assertCode(() => serialiseSseEvent(bad), 'WARDEN_ERR_INTERNAL_ERROR');
    }
  });

  it('round-trips through the parser, leading spaces and empty lines included', () => {
    for (const data of ['', ' leading space', 'a\n\nb', '\n', 'trailing\n', '{"jsonrpc":"2.0"}']) {
      assert.deepEqual(parseAll([serialiseSseEvent({ event: 'message', id: 'i', data })]), [ev(data, { event: 'message', id: 'i' })], JSON.stringify(data));
    }
  });
});

// --- property tests ---------------------------------------------------------------------------

const jsonRpcMessage = fc.oneof(
  fc.record({ jsonrpc: fc.constant('2.0'), id: fc.oneof(fc.integer(), fc.string()), method: fc.string({ minLength: 1 }), params: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })) }),
  fc.record({ jsonrpc: fc.constant('2.0'), method: fc.string({ minLength: 1 }) }),
  fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), result: fc.record({ content: fc.array(fc.record({ type: fc.constant('text'), text: fc.string({ unit: 'grapheme' }) })) }) }),
  fc.record({ jsonrpc: fc.constant('2.0'), id: fc.oneof(fc.integer(), fc.constant(null)), error: fc.record({ code: fc.integer(), message: fc.string() }) }),
);

const sseEventArb = fc.record({
  event: fc.option(fc.constantFrom('message', 'endpoint', 'ping'), { nil: undefined }),
  id: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { nil: undefined }),
  retry: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
  message: jsonRpcMessage,
  pretty: fc.boolean(),
});

/** Splits bytes at the given (sorted, deduplicated) cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

describe('SSE properties', () => {
  it('random JSON-RPC messages as SSE, split at random chunk boundaries, parse identically to the unsplit stream', () => {
    fc.assert(
      fc.property(
        fc.array(sseEventArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r', '\r\n'),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (events, eol, bom, cuts) => {
          const wire = (bom ? '\ufeff' : '') + events
            .map((e) => serialiseSseEvent({ event: e.event, id: e.id, retry: e.retry, data: JSON.stringify(e.message, null, e.pretty ? 2 : undefined) }))
            .join(': comment between events\n')
            .replace(/\n/g, eol);
          const bytes = Buffer.from(wire, 'utf8');
          const whole = parseAll([bytes]);
          assert.equal(whole.length, events.length);
          whole.forEach((parsed, i) => {
            const e = events[i]!;
            assert.deepEqual(JSON.parse(parsed.data), JSON.parse(JSON.stringify(e.message)));
            assert.equal(parsed.event, e.event);
            assert.equal(parsed.id, e.id);
            assert.equal(parsed.retry, e.retry);
          });
          assert.deepEqual(parseAll(split(bytes, cuts)), whole);
          // and byte by byte
          if (bytes.length < 600) assert.deepEqual(parseAll(Array.from(bytes, (b) => Uint8Array.of(b))), whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw anything but a WardenError, however they are chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 64 }), (bytes, cuts, max) => {
        try {
          parseAll(split(Buffer.from(bytes), cuts), max);
        } catch (err) {
          if (!(err instanceof WardenError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random strings never throw anything but a WardenError', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', '\n', '\r', 'i', 'e', 'v', 'n', 'r', 'y', '1', 'é', '😀', '\ufeff', '\u0000'), maxLength: 80 }), (text) => {
        try {
          parseAll([text], 40);
        } catch (err) {
          if (!(err instanceof WardenError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
