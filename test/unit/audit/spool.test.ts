import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditDropped } from '../../../src/audit/audit-metrics.ts';
import { canonicalJson } from '../../../src/audit/canonical-json.ts';
import { GENESIS_HASH, eventHash } from '../../../src/audit/chain.ts';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { verifyChain } from '../../../src/audit/verify.ts';
import { unlinkedEvent } from '../../../src/audit/ocsf-event.ts';
import { ed25519, openSpool, sampleEvent, sampleFacts, tempDir } from './spool-helpers.ts';

async function readAll(spool: Awaited<ReturnType<typeof openSpool>>, cursor = { segment: 1, offset: 0, seq: 0 }) {
  const all = [];
  for (let i = 0; i < 1000; i++) {
    const { entries, next } = await spool.read(cursor, 100);
    if (entries.length === 0) break;
    all.push(...entries);
    cursor = next;
  }
  return all;
}

describe('audit spool', () => {
  it('appends events with a sequence and a hash chain, across segments, and reads them back in order', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 8 * 1024 });
    for (let i = 0; i < 50; i++) spool.append(sampleEvent());
    await spool.drain();
    const entries = await readAll(spool);
    assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok(readdirSync(join(dir, 'segments')).length > 2, 'rotated into several segments');
    let prev = GENESIS_HASH;
    for (const e of entries) {
      const chain = e.event.unmapped.chain as { prev_hash: string; replica_id: string; seq: number };
      assert.equal(chain.prev_hash, prev);
      assert.equal(chain.replica_id, 'replica-a');
      assert.equal(e.event.metadata.sequence, e.seq);
      assert.equal(e.line, canonicalJson(e.event));
      prev = eventHash(e.line);
    }
    await spool.close();
  });

  it('restarts where it stopped: same chain, next sequence, cursors kept, a torn last record cut', async () => {
    const dir = tempDir();
    let spool = await openSpool(dir);
    for (let i = 0; i < 10; i++) spool.append(sampleEvent());
    await spool.drain();
    const firstTen = await readAll(spool);
    await spool.ack('s1', (firstTen[4] as { after: { segment: number; offset: number; seq: number } }).after);
    await spool.close();
    appendFileSync(segmentPath(dir, 1), '{"class_uid":6003,"trunc'); // a crash in the middle of a write
    spool = await openSpool(dir);
    assert.equal(spool.seqAtOpen, 10);
    spool.append(sampleEvent());
    await spool.drain();
    const cursor = await spool.cursorFor('s1');
    assert.equal(cursor.seq, 5);
    const rest = await readAll(spool, cursor);
    assert.deepEqual(rest.map((e) => e.seq), [6, 7, 8, 9, 10, 11]);
    const eleven = rest.at(-1)?.event.unmapped.chain as { prev_hash: string };
    assert.equal(eleven.prev_hash, eventHash(firstTen[9]?.line as string));
    await spool.close();
    assert.equal((await verifyChain(dir)).ok, true);
  });

  it('deletes a segment only after every sink acknowledged past it', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096 });
    await spool.cursorFor('a');
    await spool.cursorFor('b');
    for (let i = 0; i < 40; i++) spool.append(sampleEvent());
    await spool.drain();
    const all = await readAll(spool);
    const segmentsBefore = readdirSync(join(dir, 'segments')).length;
    await spool.ack('a', (all.at(-1) as { after: { segment: number; offset: number; seq: number } }).after);
    assert.equal(readdirSync(join(dir, 'segments')).length, segmentsBefore, 'sink b has not acknowledged');
    await spool.ack('b', (all.at(-1) as { after: { segment: number; offset: number; seq: number } }).after);
    assert.ok(readdirSync(join(dir, 'segments')).length < segmentsBefore);
    await spool.close();
  });

  it('block: when full, admission refuses new requests with WARDEN_ERR_AUDIT_SPOOL_FULL and readiness fails; nothing is deleted', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096, maxBytes: 16 * 1024, fullPolicy: 'block' });
    await spool.cursorFor('slow');
    assert.equal(spool.admission(), undefined);
    for (let i = 0; i < 40; i++) spool.append(sampleEvent());
    await spool.drain();
    assert.equal(spool.admission()?.code, 'WARDEN_ERR_AUDIT_SPOOL_FULL');
    assert.equal(spool.readiness().ok, false);
    assert.equal((await readAll(spool)).length, 40, 'every event kept');
    await spool.close();
  });

  it('drop_oldest: when full, the oldest segment goes and the loss is counted', async () => {
    const before = (await auditDropped.get()).values.find((v) => v.labels.reason === 'drop_oldest')?.value ?? 0;
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096, maxBytes: 16 * 1024, fullPolicy: 'drop_oldest' });
    await spool.cursorFor('slow');
    for (let i = 0; i < 60; i++) spool.append(sampleEvent());
    await spool.drain();
    assert.equal(spool.admission(), undefined, 'drop_oldest never refuses');
    const left = await readAll(spool, await spool.cursorFor('slow'));
    assert.ok(left.length < 60 && left.length > 0);
    assert.equal(left.at(-1)?.seq, 60);
    const after = (await auditDropped.get()).values.find((v) => v.labels.reason === 'drop_oldest')?.value ?? 0;
    assert.equal(after - before, 60 - left.length, 'every dropped event is counted');
    await spool.close();
  });

  it('refuses a second process on the same directory, takes over a dead owner', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await assert.rejects(openSpool(dir).then(() => {}), /in use by process/);
    await spool.close();
    writeFileSync(join(dir, 'LOCK'), '999999'); // a pid that does not exist
    const again = await openSpool(dir);
    await again.close();
    // Our own pid, left by an earlier run that had it too (pid 1 in a container restarted after a kill -9).
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n${Date.now() - 3_600_000}\n`);
    const restarted = await openSpool(dir);
    await restarted.close();
  });

  it('drop_oldest never deletes the segment holding the newest event: a restart finds where the chain (and the journal) stopped', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { segmentBytes: 4096, maxBytes: 8192, fullPolicy: 'drop_oldest' });
    await spool.append(sampleEvent());
    // One event larger than max_bytes: after it the spool rotates, and its segment alone is over the bound.
    await spool.append(unlinkedEvent({ ...sampleFacts(), message: 'x'.repeat(9000) }, 'the-big-one', Date.now()));
    await spool.drain();
    writeFileSync(join(dir, 'LOCK'), '999999'); // killed: the lock is left behind
    const again = await openSpool(dir);
    assert.equal(again.uidAtOpen, 'the-big-one');
    assert.equal(again.seqAtOpen, 2);
    await again.close();
  });

  it('an event whose line cannot be built is dropped alone and counted; the others of its batch are written', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    const before = (await auditDropped.get()).values.find((v) => v.labels.reason === 'unwritable')?.value ?? 0;
    const good = sampleEvent();
    const broken = {
      header: good.header,
      line: (): string => {
        throw new Error('facts this version cannot render');
      },
    };
    const batch = [spool.append(sampleEvent()), spool.append(broken), spool.append(sampleEvent())];
    await Promise.all(batch);
    assert.equal(spool.lastSeq, 2);
    const after = (await auditDropped.get()).values.find((v) => v.labels.reason === 'unwritable')?.value ?? 0;
    assert.equal(after - before, 1);
    await spool.close();
    assert.ok((await verifyChain(dir)).ok);
  });

  it('a checkpoint that cannot be signed fails its batch without moving the chain head', async () => {
    const dir = tempDir();
    const { privateKey } = generateKeyPairSync('x25519'); // a key agreement key: it cannot sign
    const spool = await openSpool(dir, { checkpoint: { key: privateKey, keyId: 'k1', everyEvents: 1, intervalMs: 60_000 } });
    await assert.rejects(Promise.all([spool.append(sampleEvent()), spool.append(sampleEvent())]));
    assert.equal(spool.lastSeq, 0, 'the sequence is where it was: nothing was written');
    await spool.close().catch(() => {});
  });

  it('an fsync that fails is not retried into a false success: the spool refuses new requests and no longer reports anything synced', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { fsyncIntervalMs: 60_000 });
    await spool.append(sampleEvent());
    // A disk that fails fsync (EIO) cannot be had here: FileHandle.sync is made to fail, the one stand-in in this file.
    const probe = await open(join(dir, 'LOCK'), 'r');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const realSync = proto.sync;
    proto.sync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    try {
      await assert.rejects(spool.sync(), /EIO/);
    } finally {
      proto.sync = realSync;
    }
    await spool.append(sampleEvent());
    await assert.rejects(spool.sync(), /EIO/, 'the disk answers again, but what failed may be lost: still not synced');
    assert.equal(spool.admission()?.code, 'WARDEN_ERR_AUDIT_SPOOL_FULL');
    assert.match(spool.admission()?.detail ?? '', /fsync failed \(EIO\)/);
    assert.deepEqual(spool.readiness(), { ok: false, reason: 'audit spool fsync failed (EIO)' });
    await spool.close().catch(() => {});
  });

  it('writes signed checkpoints that verify with the public key', async () => {
    const dir = tempDir();
    const { privateKey, publicKey } = ed25519();
    const spool = await openSpool(dir, { checkpoint: { key: privateKey, keyId: 'k1', everyEvents: 10, intervalMs: 60_000 } });
    for (let i = 0; i < 25; i++) {
      spool.append(sampleEvent());
      if (i % 5 === 4) await spool.drain(); // checkpoints are considered once per write batch
    }
    spool.append(sampleEvent());
    await spool.close();
    const text = readFileSync(segmentPath(dir, 1), 'utf8');
    assert.ok(text.split('\n').filter((l) => l.startsWith('{"checkpoint"')).length >= 2);
    const report = await verifyChain(dir, publicKey);
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.events, 26);
    assert.ok(report.checkpoints >= 2);
    assert.equal(report.unsignedTail, 0, 'close writes a final checkpoint');
    assert.ok(statSync(join(dir, 'segments')).isDirectory());
    const other = ed25519();
    assert.equal((await verifyChain(dir, other.publicKey)).problem?.kind, 'bad_signature');
  });
});
