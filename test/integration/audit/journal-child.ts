/**
 * A child process for the journal kill -9 test: starts audit with its spool in `<argv[2]>/spool`, a
 * spool that cannot write past its first segment (a directory blocks segment 2), runs argv[3]
 * exchanges — every answer goes out once its event is in the journal — waits until the audit thread
 * has filled segment 1 and reports that the spool cannot write (so the spool holds some of the
 * events and the journal the rest, whatever the machine's speed), prints `answered <n>` and idles
 * until killed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { segmentPath } from '../../../src/audit/spool/segment-files.ts';
import { exchanges, startAudit } from './audit-harness.ts';

const [root, count] = process.argv.slice(2) as [string, string];
const audit = await startAudit({ sinks: [{ type: 'file', path: join(root, 'sink.jsonl') }], spool: { segment_bytes: 4096, retention_ms: 3_600_000 } }, { spoolDir: join(root, 'spool'), replicaId: 'child' });
mkdirSync(segmentPath(join(root, 'spool'), 2));
await exchanges(audit, Number(count));
while (audit.admission() === undefined) await new Promise((r) => setTimeout(r, 10));
process.stdout.write(`answered ${count}\n`);
setInterval(() => {}, 1000);
