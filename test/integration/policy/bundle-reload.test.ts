import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rename, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPolicyStages, type PolicyParts } from '../../../src/policy/create-policy-stages.ts';
import { policyConfigSchema } from '../../../src/policy/policy-config.ts';
import { DECISION_NOTE, type Decision } from '../../../src/pipeline/decision.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { POLICIES_DIR, REDACTION_TYPES, SILENT, compileBundle, context, recordingAudit } from '../../unit/policy/policy-helpers.ts';

let tmp: string;
let good1: Buffer;
let good2: Buffer;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'warden-reload-test-'));
  good1 = await compileBundle(POLICIES_DIR, 'rev-1');
  good2 = await compileBundle(POLICIES_DIR, 'rev-2');
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function start(policy: Record<string, unknown>) {
  const audit = recordingAudit();
  const parts = await createPolicyStages({
    config: policyConfigSchema.parse(policy),
    state: new MemoryStateStore(),
    audit,
    logger: SILENT,
    baseDir: tmp,
    redactionTypes: REDACTION_TYPES,
    upstreams: ['everything'],
  });
  return { parts, audit };
}

/** The revision the stage reports for a decision right now. */
async function revision(parts: PolicyParts): Promise<string> {
  const ctx = context({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
  await parts.stages[0]?.process(ctx);
  return (ctx.notes.get(DECISION_NOTE) as Decision).bundleRevision;
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not reached in time');
}

describe('bundle loading and hot reload', () => {
  it('refuses to start without a valid bundle', async () => {
    await writeFile(join(tmp, 'garbage.tar.gz'), 'not a bundle');
    await assert.rejects(start({ bundle: 'garbage.tar.gz' }), /no valid policy bundle at start-up/);
    await assert.rejects(start({ bundle: 'missing.tar.gz' }), /ENOENT/);
  });

  it('compiles a directory of .rego at start-up', async () => {
    const dir = join(tmp, 'policies-copy');
    await cp(POLICIES_DIR, dir, { recursive: true });
    const { parts, audit } = await start({ bundle: 'policies-copy', watch: false });
    try {
      assert.match(await revision(parts), /^sha256-/);
      assert.equal(audit.events[0]?.type, 'policy.bundle_loaded');
    } finally {
      await parts.close();
    }
  });

  it('a file bundle: a bad replacement is refused and audited, the last good stays; a good one is swapped in', async () => {
    const file = join(tmp, 'bundle.tar.gz');
    await writeFile(file, good1);
    const { parts, audit } = await start({ bundle: 'bundle.tar.gz', watch: true });
    try {
      assert.equal(await revision(parts), 'rev-1');
      await writeFile(`${file}.tmp`, 'garbage');
      await rename(`${file}.tmp`, file);
      await parts.reload();
      assert.equal(await revision(parts), 'rev-1');
      assert.ok(audit.events.some((e) => e.type === 'policy.bundle_refused'));
      // the watcher picks up an atomic replace by itself
      await writeFile(`${file}.tmp`, good2);
      await rename(`${file}.tmp`, file);
      await until(async () => (await revision(parts)) === 'rev-2');
      assert.ok(audit.events.some((e) => e.type === 'policy.bundle_loaded' && e.details?.revision === 'rev-2'));
    } finally {
      await parts.close();
    }
  });

  it('an unsigned bundle is refused at start-up when signing is required', async () => {
    await writeFile(join(tmp, 'unsigned.tar.gz'), good1);
    const { publicKey } = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await assert.rejects(start({ bundle: 'unsigned.tar.gz', signing: { required: true, keys: [{ key }] } }), /not signed/);
  });

  describe('an https bundle server (plain http on loopback for the test)', () => {
    let server: Server;
    let url: string;
    let reply: (req: IncomingMessage, res: ServerResponse) => void;
    const requests: { etag: string | undefined }[] = [];
    before(async () => {
      server = createServer((req, res) => {
        requests.push({ etag: req.headers['if-none-match'] });
        reply(req, res);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/warden.tar.gz`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    const serve = (bytes: Buffer, etag: string) => (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers['if-none-match'] === etag) res.writeHead(304).end();
      else res.writeHead(200, { 'content-type': 'application/gzip', etag }).end(bytes);
    };

    it('refuses plain http unless allowed on loopback', async () => {
      reply = serve(good1, '"1"');
      await assert.rejects(start({ bundle: url }), /https/);
    });

    it('uses If-None-Match, keeps the bundle on 304, and keeps the last good one on 500, garbage, huge or slow answers', async () => {
      reply = serve(good1, '"1"');
      const { parts, audit } = await start({ bundle: url, polling: { allow_insecure_http: true, interval_seconds: 3600, timeout_ms: 500, max_bytes: 4 * 1024 * 1024 } });
      try {
        assert.equal(await revision(parts), 'rev-1');
        await parts.reload();
        assert.equal(requests.at(-1)?.etag, '"1"');
        const refusedBefore = audit.events.filter((e) => e.type === 'policy.bundle_refused').length;
        const bad: ((req: IncomingMessage, res: ServerResponse) => void)[] = [
          (_q, res) => res.writeHead(500).end('oops'),
          (_q, res) => res.writeHead(200, { etag: '"g"' }).end('<html>garbage</html>'),
          (_q, res) => res.writeHead(200, { etag: '"h"', 'content-length': String(8 * 1024 * 1024) }).end(Buffer.alloc(8 * 1024 * 1024)),
          (_q, res) => {
            res.writeHead(200, { etag: '"c"' });
            res.write(Buffer.alloc(10 * 1024 * 1024));
            res.end();
          },
          (_q, res) => {
            res.writeHead(200, { etag: '"s"' });
            res.write(good2.subarray(0, 100)); // and never finishes
          },
          (_q, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/evil' }).end(),
        ];
        for (const handler of bad) {
          reply = handler;
          await parts.reload();
          assert.equal(await revision(parts), 'rev-1');
        }
        assert.equal(audit.events.filter((e) => e.type === 'policy.bundle_refused').length - refusedBefore, bad.length);
        reply = serve(good2, '"2"');
        await parts.reload();
        assert.equal(await revision(parts), 'rev-2');
      } finally {
        await parts.close();
      }
    });

    it('polls at the configured interval', async () => {
      reply = serve(good1, '"p1"');
      const { parts } = await start({ bundle: url, polling: { allow_insecure_http: true, interval_seconds: 0.1, jitter_seconds: 0.05 } });
      try {
        reply = serve(good2, '"p2"');
        await until(async () => (await revision(parts)) === 'rev-2');
      } finally {
        await parts.close();
      }
    });
  });
});

describe('SIGHUP reloads the bundle of a running mcp-warden', () => {
  it('swaps in the new bundle file on SIGHUP', async () => {
    const { startTestWarden } = await import('../../helpers/warden.ts');
    const { startRecordingUpstream } = await import('../../helpers/recording-upstream.ts');
    const { hashAdminToken } = await import('../../../src/admin/admin-token.ts');
    const file = join(tmp, 'hup.tar.gz');
    await writeFile(file, good1);
    const upstream = await startRecordingUpstream();
    const warden = await startTestWarden({
      upstreams: [{ name: 'rec', url: upstream.url, transport: 'streamable-http', path: '/mcp' }],
      policy: { bundle: file, watch: false },
      admin: { host: '127.0.0.1', port: 0, token_sha256: hashAdminToken('t') },
    });
    const active = async () => ((await (await fetch(`${warden.adminUrl}/v1/policy`, { headers: { authorization: 'Bearer t' } })).json()) as { revision: string }).revision;
    try {
      assert.equal(await active(), 'rev-1');
      await writeFile(file, good2);
      process.kill(process.pid, 'SIGHUP');
      await until(async () => (await active()) === 'rev-2');
    } finally {
      await warden.close();
      await upstream.close();
    }
  });
});
