import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from './canonical-json.ts';

/**
 * The tamper-evidence scheme (one chain per spool, i.e. per replica):
 * - every event carries `unmapped.chain = {replica_id, seq, prev_hash}` and `metadata.sequence = seq`;
 * - an event's hash is SHA-256 over its canonical JSON (chain fields included), so altering,
 *   removing or reordering an event breaks the next event's `prev_hash` or the sequence;
 * - a checkpoint `{checkpoint: {replica_id, seq, hash, time, key_id}, signature}` signs with Ed25519
 *   the canonical JSON of `checkpoint`, binding the chain head at that point to the key holder.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainLink {
  readonly replica_id: string;
  readonly seq: number;
  readonly prev_hash: string;
}

export interface Checkpoint {
  readonly replica_id: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly key_id: string;
}

export interface CheckpointLine {
  readonly checkpoint: Checkpoint;
  readonly signature: string;
}

export function eventHash(canonicalLine: string): string {
  return sha256Hex(canonicalLine);
}

export function linkOf(event: unknown): ChainLink | undefined {
  const chain = (event as { unmapped?: { chain?: ChainLink } } | null)?.unmapped?.chain;
  if (chain === undefined || typeof chain !== 'object' || typeof chain.seq !== 'number' || typeof chain.prev_hash !== 'string') return undefined;
  return chain;
}

export function isCheckpointLine(value: unknown): value is CheckpointLine {
  return typeof value === 'object' && value !== null && 'checkpoint' in value && 'signature' in value;
}

export function signCheckpoint(checkpoint: Checkpoint, key: KeyObject): CheckpointLine {
  return { checkpoint, signature: sign(null, Buffer.from(canonicalJson(checkpoint)), key).toString('base64') };
}

export function checkSignature(line: CheckpointLine, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(line.checkpoint)), publicKey, Buffer.from(line.signature, 'base64'));
  } catch {
    return false;
  }
}

/** An Ed25519 private key from PEM (PKCS#8). Throws with a message that never includes the key. */
export function loadSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('audit.checkpoint signing key is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`audit.checkpoint signing key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

export function publicPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}
