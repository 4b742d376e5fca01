import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { exchanges, missing, startAudit, tally } from './audit-harness.ts';

interface Received {
  readonly at: number;
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly url: string;
}

/** A real node:http server; `answer` decides each response (the test scripts the outage). */
async function receiver(answer: (req: IncomingMessage, body: string, n: number) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ server: Server; url: string; log: Received[] }> {
  const log: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const a = answer(req, body, log.length);
      log.push({ at: Date.now(), status: a.status, headers: req.headers, body, url: req.url ?? '' });
      res.writeHead(a.status, { 'content-type': 'application/json', ...(a.headers ?? {}) });
      res.end(a.body ?? '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('audit HTTP sinks against real node:http servers', () => {
  it('webhook: NDJSON batches signed with HMAC-SHA256; 503 and 429 (Retry-After honoured) lose nothing', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    let failUntil = 6; // first requests: 503, 503, 429 …
    const r = await receiver((_req, _body, n) => {
      if (n < failUntil) return n % 3 === 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 503 };
      return { status: 200 };
    });
    servers.push(r.server);
    const audit = await startAudit({ sinks: [{ type: 'webhook', url: `${r.url}/hook`, hmac_secret: secret, batch_size: 40, retry: { initial_ms: 20, max_ms: 200 } }] });
    try {
      await exchanges(audit, 200);
      const ok = await audit.waitForSink(0, 200, 30_000);
      assert.ok(ok, 'all 200 acknowledged');
      failUntil = 0;
      const delivered = r.log.filter((x) => x.status === 200);
      const seqs = delivered.flatMap((x) => x.body.trim().split('\n').map((l) => (JSON.parse(l) as { metadata: { sequence: number } }).metadata.sequence));
      const { unique } = tally(seqs);
      assert.deepEqual(missing(unique, 200), []);
      for (const x of r.log) {
        assert.equal(x.headers['content-type'], 'application/x-ndjson');
        const ts = x.headers['x-warden-timestamp'] as string;
        const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${x.body}`).digest('hex')}`;
        assert.equal(x.headers['x-warden-signature'], expected);
      }
      const after429 = r.log.findIndex((x) => x.status === 429);
      const next = r.log[after429 + 1];
      assert.ok(next !== undefined && next.at - (r.log[after429] as Received).at >= 900, 'the retry after a 429 waited for Retry-After: 1');
    } finally {
      await audit.close();
    }
  });

  it('Splunk HEC: batched /services/collector/event with Authorization: Splunk and indexer acknowledgement on a channel', async () => {
    // A stand-in for Splunk (no Splunk runs here): it implements the HEC event and ack endpoints
    // as documented, and reports an ackId as indexed only on the second poll.
    const token = randomUUID();
    let nextAck = 0;
    const polls = new Map<number, number>();
    const r = await receiver((req, body) => {
      if (req.headers.authorization !== `Splunk ${token}`) return { status: 401, body: '{"text":"Invalid token","code":4}' };
      if (req.url === '/services/collector/event') return { status: 200, body: JSON.stringify({ text: 'Success', code: 0, ackId: nextAck++ }) };
      if (req.url?.startsWith('/services/collector/ack?channel=')) {
        const acks = (JSON.parse(body) as { acks: number[] }).acks;
        const out: Record<string, boolean> = {};
        for (const id of acks) {
          polls.set(id, (polls.get(id) ?? 0) + 1);
          out[String(id)] = (polls.get(id) ?? 0) >= 2;
        }
        return { status: 200, body: JSON.stringify({ acks: out }) };
      }
      return { status: 404 };
    });
    servers.push(r.server);
    const audit = await startAudit({ sinks: [{ type: 'splunk_hec', url: r.url, token, ack: true, ack_poll_ms: 20, batch_size: 25, index: 'mcp' }] });
    try {
      await exchanges(audit, 60);
      assert.ok(await audit.waitForSink(0, 60, 20_000));
      const posts = r.log.filter((x) => x.url === '/services/collector/event');
      assert.ok(posts.length >= 3, 'batched');
      const channel = posts[0]?.headers['x-splunk-request-channel'];
      assert.match(String(channel), /^[0-9a-f-]{36}$/);
      const events = posts.flatMap((x) => x.body.split('\n').map((l) => JSON.parse(l) as { event: { metadata: { sequence: number } }; sourcetype: string; index: string; time: number }));
      assert.deepEqual(missing(tally(events.map((e) => e.event.metadata.sequence)).unique, 60), []);
      assert.equal(events[0]?.sourcetype, 'ocsf:api_activity');
      assert.equal(events[0]?.index, 'mcp');
      assert.ok(r.log.some((x) => x.url === `/services/collector/ack?channel=${channel}`));
    } finally {
      await audit.close();
    }
  });

  it('OTLP logs over HTTP/JSON: one LogRecord per event, body = OCSF JSON, seq attribute', async () => {
    const r = await receiver(() => ({ status: 200, body: '{}' }));
    servers.push(r.server);
    const audit = await startAudit({ sinks: [{ type: 'otlp', url: `${r.url}/v1/logs`, format: 'ocsf' }] });
    try {
      await exchanges(audit, 10);
      assert.ok(await audit.waitForSink(0, 10, 10_000));
      const records = r.log.flatMap((x) => (JSON.parse(x.body) as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; attributes: { key: string; value: { intValue?: string } }[]; timeUnixNano: string; severityNumber: number }[] }[] }[] }).resourceLogs[0]?.scopeLogs[0]?.logRecords ?? []);
      assert.equal(records.length, 10);
      const first = records[0];
      assert.equal((JSON.parse(first?.body.stringValue ?? '{}') as { class_uid: number }).class_uid, 6003);
      assert.equal(first?.attributes.find((a) => a.key === 'mcp_warden.seq')?.value.intValue, '1');
      assert.match(first?.timeUnixNano ?? '', /^\d{19}$/);
      assert.equal(first?.severityNumber, 9);
    } finally {
      await audit.close();
    }
  });

  it('ECS and CEF renderings over the file sink', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../../unit/audit/spool-helpers.ts');
    const dir = tempDir('warden-file-sink-');
    const audit = await startAudit({ sinks: [{ type: 'file', name: 'ecs', path: join(dir, 'ecs.jsonl'), format: 'ecs' }, { type: 'file', name: 'cef', path: join(dir, 'audit.cef'), format: 'cef' }, { type: 'file', name: 'ocsf', path: join(dir, 'audit.jsonl') }] });
    try {
      await exchanges(audit, 3);
      for (const sink of [0, 1, 2]) assert.ok(await audit.waitForSink(sink, 3, 10_000));
      const ecs = readFileSync(join(dir, 'ecs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(ecs.length, 3);
      assert.equal(ecs[0]?.event.action, 'tools/call');
      assert.equal(ecs[0]?.event.outcome, 'success');
      assert.equal(ecs[0]?.user.id, 'alice');
      assert.equal(ecs[0]?.source.ip, '127.0.0.1');
      assert.equal(ecs[0]?.rule.name, 'tools.read');
      assert.equal(ecs[0]?.mcp_warden.mcp.tool, 'echo');
      assert.match(String(ecs[0]?.['@timestamp']), /^\d{4}-\d\d-\d\dT/);
      const cef = readFileSync(join(dir, 'audit.cef'), 'utf8').trim().split('\n');
      assert.match(cef[0] ?? '', /^CEF:0\|mcp-warden\|mcp-warden\|0\.1\.0\|mcp\.exchange\|tools\/call completed\|1\|rt=\d+ /);
      assert.match(cef[0] ?? '', / suser=alice /);
      assert.match(cef[0] ?? '', / cs1Label=tool cs1=echo /);
      assert.match(cef[0] ?? '', / act=allow /);
      const { runAuditCommand } = await import('../../../src/cli/audit-command.ts');
      const { PassThrough } = await import('node:stream');
      const out = new PassThrough();
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString()));
      assert.equal(await runAuditCommand(['verify', join(dir, 'audit.jsonl')], out, out), 0, 'the OCSF file sink output verifies as a chain');
      assert.match(text, /^OK: 3 events/);
    } finally {
      await audit.close();
    }
  });
});
