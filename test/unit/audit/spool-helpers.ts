import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ExchangeFacts } from '../../../src/audit/audit-facts.ts';
import { ocsfLine, unlinkedEvent, type OcsfEvent, type UnlinkedEvent } from '../../../src/audit/ocsf-event.ts';
import { Spool, type SpoolOptions } from '../../../src/audit/spool/spool.ts';
import { ALICE } from './contexts.ts';

export const silent = pino({ level: 'silent' });

export function tempDir(prefix = 'warden-audit-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function ed25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

let n = 0;
export function sampleFacts(i = n++): ExchangeFacts {
  return { source: 'exchange', eventCode: 'mcp.exchange', direction: 'to_server', messageKind: 'request', method: 'tools/call', tool: 'echo', jsonrpcId: i, principal: ALICE, clientIp: '127.0.0.1', upstream: 'everything', startedAt: Date.now(), durationMs: 1, outcome: 'success', message: `call ${i}` };
}

export function sampleEvent(i = n++): UnlinkedEvent {
  return unlinkedEvent(sampleFacts(i), `uid-${i}`, Date.now());
}

export function openSpool(dir: string, overrides: Partial<SpoolOptions> = {}): Promise<Spool> {
  return Spool.open({ dir, segmentBytes: 64 * 1024, maxBytes: 64 * 1024 * 1024, fullPolicy: 'block', fsync: 'batched', fsyncIntervalMs: 20, retentionMs: 0, replicaId: 'replica-a', logger: silent, ...overrides });
}

/** An event as an object, e.g. to check it against the OCSF schema: its line (at sequence 1), parsed. */
export function toOcsf(f: ExchangeFacts, uid: string, now: number): OcsfEvent {
  return JSON.parse(ocsfLine(f, uid, now, { replica_id: 'replica', seq: 1, prev_hash: '0'.repeat(64) })) as OcsfEvent;
}

/** Every event line in a spool's segment files, in order, parsed (checkpoint lines left out). */
export function readSpool(spoolDir: string): Record<string, unknown>[] {
  const dir = join(spoolDir, 'segments');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log') && statSync(join(dir, f)).isFile()) // a test may block a segment with a directory
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.class_uid === 6003);
}
