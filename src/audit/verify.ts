import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canonicalJson } from './canonical-json.ts';
import { checkSignature, eventHash, isCheckpointLine, linkOf } from './chain.ts';

/**
 * `mcp-warden audit verify`: walks a spool directory (its segments in order), one segment, or a
 * file sink's OCSF JSON lines, and checks the hash chain and the signed checkpoints. Stops at the
 * first broken link and names it: which event (sequence number), where (file and line), and what
 * (deleted, altered, reordered, bad signature).
 */
export interface VerifyProblem {
  readonly kind: 'deleted' | 'altered' | 'reordered' | 'bad_signature' | 'checkpoint_mismatch' | 'unparseable' | 'replica_mismatch';
  readonly seq: number | undefined;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  readonly replicaId: string | undefined;
  readonly checkpoints: number;
  readonly signaturesChecked: boolean;
  /** Events after the last valid checkpoint (not yet covered by a signature). */
  readonly unsignedTail: number;
  readonly problem: VerifyProblem | undefined;
}

/** The files to check, in order: a directory's segments (or *.jsonl), or the one file given. */
export async function filesOf(path: string): Promise<string[]> {
  const st = await stat(path);
  if (!st.isDirectory()) return [path];
  const segDir = join(path, 'segments');
  const dir = (await stat(segDir).catch(() => undefined))?.isDirectory() === true ? segDir : path;
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log') || n.endsWith('.jsonl')).sort();
  return names.map((n) => join(dir, n));
}

export async function loadPublicKey(path: string): Promise<KeyObject> {
  return createPublicKey(await readFile(path, 'utf8'));
}

export async function verifyChain(path: string, publicKey?: KeyObject): Promise<VerifyReport> {
  const files = await filesOf(path);
  let events = 0;
  let checkpoints = 0;
  let firstSeq: number | undefined;
  let prevSeq: number | undefined;
  let prevHash: string | undefined;
  let replicaId: string | undefined;
  let lastCheckpointSeq: number | undefined;
  let problem: VerifyProblem | undefined;
  /** A gap seen earlier: if the missing event turns up later, the events were reordered, not deleted. */
  let gap: (VerifyProblem & { missing: number }) | undefined;
  const seen = new Set<number>();

  outer: for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        problem = { kind: 'unparseable', seq: prevSeq === undefined ? undefined : prevSeq + 1, file, line: lineNo, message: `line ${lineNo} is not JSON (altered or truncated)` };
        break outer;
      }
      if (isCheckpointLine(value)) {
        checkpoints++;
        const c = value.checkpoint;
        if (publicKey !== undefined && !checkSignature(value, publicKey)) {
          problem = { kind: 'bad_signature', seq: c.seq, file, line: lineNo, message: `checkpoint at seq ${c.seq}: the signature does not verify (checkpoint altered or signed by another key)` };
          break outer;
        }
        if (prevSeq !== undefined && (c.seq !== prevSeq || c.hash !== prevHash)) {
          const what = c.seq > prevSeq ? `events ${prevSeq + 1}..${c.seq} are missing (deleted)` : c.seq === prevSeq ? `event ${prevSeq} was altered` : `the chain runs past the checkpoint (reordered)`;
          problem = { kind: c.seq > prevSeq ? 'deleted' : c.seq === prevSeq ? 'altered' : 'reordered', seq: c.seq === prevSeq ? prevSeq : prevSeq + 1, file, line: lineNo, message: `checkpoint at line ${lineNo} signs seq ${c.seq} hash ${c.hash.slice(0, 16)}…, the chain there is seq ${prevSeq} hash ${prevHash?.slice(0, 16)}…: ${what}` };
          break outer;
        }
        lastCheckpointSeq = c.seq;
        continue;
      }
      const link = linkOf(value);
      if (link === undefined) {
        problem = { kind: 'unparseable', seq: undefined, file, line: lineNo, message: `line ${lineNo} is neither an audit event with a chain link nor a checkpoint` };
        break outer;
      }
      if (replicaId === undefined) replicaId = link.replica_id;
      else if (link.replica_id !== replicaId) {
        problem = { kind: 'replica_mismatch', seq: link.seq, file, line: lineNo, message: `event seq ${link.seq} names replica ${link.replica_id}, the chain is replica ${replicaId}` };
        break outer;
      }
      seen.add(link.seq);
      if (gap !== undefined && link.seq === gap.missing) {
        problem = { ...gap, kind: 'reordered', seq: gap.missing, message: `event seq ${gap.missing} is out of order: found at ${file}:${lineNo}, after seq ${gap.missing + 1}` };
        break outer;
      }
      if (prevSeq !== undefined && gap === undefined) {
        if (link.seq <= prevSeq) {
          problem = { kind: 'reordered', seq: link.seq, file, line: lineNo, message: `event seq ${link.seq} at ${file}:${lineNo} comes after seq ${prevSeq} (reordered or replayed)` };
          break outer;
        }
        if (link.seq > prevSeq + 1) {
          gap = { kind: 'deleted', seq: prevSeq + 1, missing: prevSeq + 1, file, line: lineNo, message: `event seq ${prevSeq + 1} is missing (deleted): seq ${link.seq} at ${file}:${lineNo} follows seq ${prevSeq}` + (link.seq > prevSeq + 2 ? ` (events ${prevSeq + 1}..${link.seq - 1} missing)` : '') };
        } else if (link.prev_hash !== prevHash) {
          problem = { kind: 'altered', seq: prevSeq, file, line: lineNo, message: `event seq ${prevSeq} was altered: its hash no longer matches the prev_hash that seq ${link.seq} (${file}:${lineNo}) recorded` };
          break outer;
        }
      }
      firstSeq ??= link.seq;
      events++;
      prevSeq = link.seq;
      prevHash = eventHash(canonicalJson(value));
    }
  }
  if (problem === undefined && gap !== undefined) problem = gap;
  const lastSeq = prevSeq;
  return {
    ok: problem === undefined,
    events,
    firstSeq,
    lastSeq,
    replicaId,
    checkpoints,
    signaturesChecked: publicKey !== undefined,
    unsignedTail: lastSeq === undefined ? 0 : lastSeq - (lastCheckpointSeq ?? (firstSeq ?? 1) - 1),
    problem,
  };
}
