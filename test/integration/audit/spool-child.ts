/**
 * A child process that holds an audit spool, for the kill -9 test: starts audit with a webhook sink
 * (argv[2] = URL, argv[3] = spool dir), runs argv[4] exchanges, waits until they are written to the
 * spool, prints `spooled <lastSeq>` and then idles until killed.
 */
import { exchanges, startAudit } from './audit-harness.ts';

const [url, spoolDir, count] = process.argv.slice(2) as [string, string, string];
const audit = await startAudit({ sinks: [{ type: 'webhook', name: 'hook', url, batch_size: 20, retry: { initial_ms: 20, max_ms: 200 }, timeout_ms: 60_000 }] }, { spoolDir, replicaId: 'child' });
await exchanges(audit, Number(count));
process.stdout.write(`spooled ${await audit.drain()}\n`);
setInterval(() => {}, 1000);
