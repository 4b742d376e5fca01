import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../log/logger.ts';
import { AuditCore } from './audit-core.ts';
import type { AuditThreadData, FromAuditThread, ToAuditThread } from './audit-thread.ts';
import { JournalProgress } from './journal/journal-progress.ts';
import { JournalPump } from './journal/journal-pump.ts';
import { JournalReader } from './journal/journal-reader.ts';
import { snapshotAuditMetrics } from './metrics-mirror.ts';

/**
 * The audit thread (started by audit-thread.ts): owns the spool and the sinks. The proxy thread
 * appends each turn's events to the journal; this thread moves them into the spool (journal-pump.ts)
 * and feeds the sinks from there.
 */
const port = parentPort;
if (port === null) throw new Error('audit-worker.ts runs as a worker thread only');
const data = workerData as AuditThreadData;
const post = (m: FromAuditThread) => port.postMessage(m);

// Log lines go to the proxy thread, which writes them where its own log lines go.
const logger = createLogger(data.logLevel as LevelWithSilent, { write: (line: string) => (post({ type: 'log', line }), true) } as unknown as NodeJS.WritableStream).child({ component: 'audit' });

/** How often the admission state and the metrics are sent when nothing else sends them. */
const STATE_EVERY_MS = 100;
const METRICS_EVERY_MS = 1000;

const progress = new JournalProgress(data.journal);
let core: AuditCore;
let reader: JournalReader;
try {
  core = await AuditCore.open({ config: data.config, logger, baseDir: data.baseDir, replicaId: data.replicaId });
  // What an earlier run left in the journal is spooled first, from just after the spool's newest event.
  reader = JournalReader.open(core.spoolDir, progress, core.uidAtOpen, logger);
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

let lastState = '';
function sendState(): void {
  const stopped = pump.failure;
  // A pump that stopped leaves the journal unspooled (its events wait for the next start): fail closed.
  const detail = stopped === undefined ? undefined : `audit journal not spooled: ${stopped.message}`;
  const refusal = detail !== undefined ? { code: 'WARDEN_ERR_AUDIT_UNAVAILABLE', detail } : core.refusal();
  const m: FromAuditThread = {
    type: 'state',
    refusal: refusal === undefined ? undefined : { code: refusal.code, detail: refusal.detail ?? (refusal as Error).message },
    readiness: detail !== undefined ? { ok: false, reason: detail } : core.readiness(),
  };
  const text = JSON.stringify(m);
  if (text === lastState) return;
  lastState = text;
  post(m);
}

async function sendMetrics(): Promise<void> {
  post({ type: 'metrics', snapshots: await snapshotAuditMetrics() });
}

// With fsync `always` the proxy thread holds answers until their events are synced in the spool: tell it when.
const pump = new JournalPump({ reader, spool: core, progress, logger, ...(data.config.spool.fsync === 'always' ? { onSpooled: (through: number) => post({ type: 'spooled', through }) } : {}) });
pump.start();

const stateTimer = setInterval(sendState, STATE_EVERY_MS);
const metricsTimer = setInterval(() => void sendMetrics(), METRICS_EVERY_MS);

async function handle(m: ToAuditThread): Promise<void> {
  switch (m.type) {
    case 'poke':
      await pump.pass();
      sendState();
      return;
    case 'drain':
      await pump.pass();
      post({ type: 'reply', id: m.id, value: await core.drain() });
      return;
    case 'wait-sink':
      post({ type: 'reply', id: m.id, value: await core.waitForSink(m.sink, m.seq, m.timeoutMs) });
      return;
    case 'close':
      clearInterval(stateTimer);
      clearInterval(metricsTimer);
      pump.stop();
      // The proxy thread closed the journal first: this is everything. If the spool refuses it,
      // the journal keeps it for the next start, and the spool and sinks still close properly.
      await pump.pass().catch((err: unknown) => logger.error({ err }, 'audit: events left in the journal at close'));
      await core.close();
      reader.deleteSpooled();
      await sendMetrics();
      post({ type: 'reply', id: m.id, value: true });
      return;
  }
}

port.on('message', (m: ToAuditThread) => {
  handle(m).catch((err: unknown) => {
    logger.error({ err }, 'audit thread: message failed');
    // Whoever waits for this message's answer gets a failure, not silence.
    post({ type: 'failed-message', ...('id' in m ? { id: m.id } : {}), message: err instanceof Error ? err.message : String(err) });
  });
});
sendState();
post({ type: 'ready', spoolDir: core.spoolDir });
