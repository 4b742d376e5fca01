import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parseBundle, type BundleVerification } from '../../../src/policy/bundle.ts';
import { buildBundle } from '../../../src/policy/bundle-build.ts';
import { importVerificationKey } from '../../../src/policy/bundle-signature.ts';
import { ENTRYPOINT, POLICIES_DIR } from './policy-helpers.ts';

let tmp: string;
let signed: Buffer;
let unsigned: Buffer;
let publicPem: string;
let otherPublicPem: string;

function keyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'warden-bundle-test-'));
  const keys = keyPair();
  publicPem = keys.publicPem;
  otherPublicPem = keyPair().publicPem;
  await writeFile(join(tmp, 'private.pem'), keys.privatePem);
  await buildBundle({ dir: POLICIES_DIR, out: join(tmp, 'signed.tar.gz'), entrypoints: [ENTRYPOINT], revision: 'r-signed', signingKey: join(tmp, 'private.pem') });
  await buildBundle({ dir: POLICIES_DIR, out: join(tmp, 'unsigned.tar.gz'), entrypoints: [ENTRYPOINT], revision: 'r-unsigned' });
  signed = await readFile(join(tmp, 'signed.tar.gz'));
  unsigned = await readFile(join(tmp, 'unsigned.tar.gz'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function verification(required: boolean, pem = publicPem, id = 'default'): Promise<BundleVerification> {
  return { required, keys: [await importVerificationKey(id, 'RS256', pem)], scope: undefined };
}

function parse(bytes: Buffer, v: BundleVerification, maxBytes = 1 << 24) {
  return parseBundle(bytes, { maxBytes, verification: v, entrypoint: ENTRYPOINT, source: 'test' });
}

/** Unpacks a bundle, lets `edit` change files, packs it again with GNU tar (a real tamperer's tools). */
async function repack(bytes: Buffer, edit: (dir: string) => Promise<void>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmp, 'repack-'));
  await writeFile(join(dir, '..', 'in.tar.gz'), bytes);
  const x = join(dir, 'x');
  await mkdir(x);
  execFileSync('tar', ['xzf', join(dir, '..', 'in.tar.gz'), '-C', x], { stdio: 'ignore' });
  await edit(x);
  const names = (await readdir(x, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(x.length + 1));
  execFileSync('tar', ['czf', join(dir, 'out.tar.gz'), '-C', x, ...names]);
  return readFile(join(dir, 'out.tar.gz'));
}

describe('policy bundles', () => {
  it('a bundle built by `policy build` has policy.wasm, data.json and a manifest with the revision', async () => {
    const b = await parse(unsigned, { required: false, keys: [], scope: undefined });
    assert.equal(b.revision, 'r-unsigned');
    assert.equal(b.wasm.subarray(0, 4).toString('hex'), '0061736d');
    assert.deepEqual(b.data, {});
    assert.equal(b.signedBy, undefined);
  });

  it('a signed bundle verifies against the configured key', async () => {
    const b = await parse(signed, await verification(true));
    assert.equal(b.revision, 'r-signed');
    assert.equal(b.signedBy, 'default');
  });

  it('an unsigned bundle is refused when signing is required', async () => {
    await assert.rejects(parse(unsigned, await verification(true)), /not signed/);
  });

  it('a bundle signed by another key is refused', async () => {
    await assert.rejects(parse(signed, await verification(true, otherPublicPem)), /does not verify/);
  });

  it('a bundle signed with an unknown key id is refused', async () => {
    await assert.rejects(parse(signed, await verification(true, publicPem, 'prod')), /unknown key id/);
  });

  it('a tampered data.json is refused', async () => {
    const tampered = await repack(signed, (dir) => writeFile(join(dir, 'data.json'), JSON.stringify({ warden: { edit_mode: true } })));
    await assert.rejects(parse(tampered, await verification(true)), /data.json does not match/);
  });

  it('a replaced policy.wasm is refused', async () => {
    const other = await repack(unsigned, async () => {});
    const wasm = (await parse(other, { required: false, keys: [], scope: undefined })).wasm;
    const tampered = await repack(signed, (dir) => writeFile(join(dir, 'policy.wasm'), Buffer.concat([wasm, Buffer.from([0])])));
    await assert.rejects(parse(tampered, await verification(true)), /policy.wasm does not match/);
  });

  it('a file added next to the signed ones is refused', async () => {
    const tampered = await repack(signed, async (dir) => {
      await mkdir(join(dir, 'extra'), { recursive: true });
      await writeFile(join(dir, 'extra', 'data.json'), JSON.stringify({ x: 1 }));
    });
    await assert.rejects(parse(tampered, await verification(true)), /not covered by the signature/);
  });

  it('a signed file removed is refused', async () => {
    const tampered = await repack(signed, (dir) => rm(join(dir, 'data.json')));
    await assert.rejects(parse(tampered, await verification(true)), /missing signed file/);
  });

  it('a forged signature file is refused', async () => {
    const tampered = await repack(signed, (dir) => writeFile(join(dir, '.signatures.json'), JSON.stringify({ signatures: ['eyJhbGciOiJub25lIn0.eyJmaWxlcyI6W119.'] })));
    await assert.rejects(parse(tampered, await verification(true)), /signature|key/);
  });

  it('garbage, a truncated archive and an empty archive are refused', async () => {
    const none: BundleVerification = { required: false, keys: [], scope: undefined };
    await assert.rejects(parse(Buffer.from('<html>not a bundle</html>'), none), /gzip/);
    await assert.rejects(parse(signed.subarray(0, signed.length / 2), none), /gzip|truncated|corrupt/);
    await assert.rejects(parse(gzipSync(Buffer.alloc(1024)), none), /no policy.wasm/);
    await assert.rejects(parse(gzipSync(Buffer.from('x'.repeat(600))), none), /corrupt/);
  });

  it('a bundle that expands beyond the size limit is refused (gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    await assert.rejects(parse(bomb, { required: false, keys: [], scope: undefined }, 1024 * 1024), /expands beyond|larger/);
  });
});
