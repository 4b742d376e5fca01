import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { before, describe, it } from 'node:test';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { runAuditCommand } from '../../../src/cli/audit-command.ts';
import { ed25519, openSpool, sampleEvent, tempDir } from './spool-helpers.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runAuditCommand(args, out, err);
  return { code, out: o, err: e };
}

/** A copy of the pristine spool with its one segment's lines changed by `edit`. */
function tampered(pristine: string, edit: (lines: string[]) => string[]): string {
  const dir = tempDir('warden-tamper-');
  cpSync(pristine, dir, { recursive: true });
  const file = segmentPath(dir, 1);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(file, `${edit(lines).join('\n')}\n`);
  return dir;
}

const eventIndex = (lines: string[], seq: number) => lines.findIndex((l) => l.includes(`"sequence":${seq},`));

describe('mcp-warden audit verify', () => {
  let pristine: string;
  before(async () => {
    pristine = tempDir();
    const spool = await openSpool(pristine, { segmentBytes: 1024 * 1024, checkpoint: { key: ed25519().privateKey, keyId: 'k', everyEvents: 5, intervalMs: 60_000 } });
    for (let i = 0; i < 20; i++) {
      spool.append(sampleEvent());
      if (i % 7 === 6) await spool.drain();
    }
    await spool.close();
  });

  it('passes on an untouched spool (signatures checked with the key file in the directory)', async () => {
    const r = await cli(['verify', pristine]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^OK: 20 events, seq 1\.\.20 of replica replica-a; chain intact; \d+ checkpoints with valid signatures/);
  });

  it('names a deleted event', async () => {
    const dir = tampered(pristine, (lines) => lines.filter((_, i) => i !== eventIndex(lines, 8)));
    const r = await cli(['verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /first broken link at seq 8 \(deleted\)/);
  });

  it('names an altered event', async () => {
    const dir = tampered(pristine, (lines) => lines.map((l, i) => (i === eventIndex(lines, 12) ? l.replace('"uid":"alice"', '"uid":"mallory"') : l)));
    const r = await cli(['verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /first broken link at seq 12 \(altered\)/);
  });

  it('names reordered events', async () => {
    const dir = tampered(pristine, (lines) => {
      const a = eventIndex(lines, 3);
      const b = eventIndex(lines, 4);
      const copy = [...lines];
      [copy[a], copy[b]] = [lines[b] as string, lines[a] as string];
      return copy;
    });
    const r = await cli(['verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /first broken link at seq 3 \(reordered\)/);
  });

  it('detects deleted events at the end through the signed checkpoint', async () => {
    const dir = tampered(pristine, (lines) => {
      const last = lines.length - 1; // the final checkpoint
      return [...lines.slice(0, eventIndex(lines, 20)), lines[last] as string];
    });
    const r = await cli(['verify', dir, '--json']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.out).problem.kind, 'deleted');
  });

  it('rejects a forged checkpoint, and reports usage errors with exit 2', async () => {
    const dir = tampered(pristine, (lines) => lines.map((l) => (l.startsWith('{"checkpoint"') ? l.replace(/"seq":(\d+)/, (_m, n) => `"seq":${Number(n) + 0}`).replace(/"time":"[^"]+"/, '"time":"2020-01-01T00:00:00.000Z"') : l)));
    const r = await cli(['verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /bad_signature/);
    assert.equal((await cli(['verify'])).code, 2);
    assert.equal((await cli(['verify', join(dir, 'nope')])).code, 2);
    assert.equal((await cli(['bogus'])).code, 2);
  });

  it('tail prints the last events, one line each', async () => {
    const r = await cli(['tail', pristine, '-n', '3']);
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines.join('\n'), /seq=20 Success tools\/call tool=echo user=alice/);
  });
});
