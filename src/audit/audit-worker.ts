import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../log/logger.ts';
import type { ExchangeFacts } from './audit-facts.ts';
import { AuditCore } from './audit-core.ts';
import { auditErrors } from './audit-metrics.ts';
import type { AuditThreadData, FromAuditThread, ToAuditThread } from './audit-thread.ts';
import { snapshotAuditMetrics } from './metrics-mirror.ts';

/**
 * The audit thread (started by audit-thread.ts): owns the spool and the sinks. Events arrive as
 * one message per proxy event-loop turn and are acknowledged once written to the spool file.
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

let core: AuditCore;
try {
  core = await AuditCore.open({ config: data.config, logger, baseDir: data.baseDir, replicaId: data.replicaId });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

let lastState = '';
function sendState(): void {
  const refusal = core.refusal();
  const m: FromAuditThread = { type: 'state', refusal: refusal === undefined ? undefined : { code: refusal.code, detail: refusal.detail ?? refusal.message }, readiness: core.readiness() };
  const text = JSON.stringify(m);
  if (text === lastState) return;
  lastState = text;
  post(m);
}

async function sendMetrics(): Promise<void> {
  post({ type: 'metrics', snapshots: await snapshotAuditMetrics() });
}

const stateTimer = setInterval(sendState, STATE_EVERY_MS);
const metricsTimer = setInterval(() => void sendMetrics(), METRICS_EVERY_MS);

async function handle(m: ToAuditThread): Promise<void> {
  switch (m.type) {
    case 'events': {
      let written: Promise<void> | undefined;
      let failed: unknown;
      // All of one message's events join the same spool write (one event-loop turn here). One that
      // cannot be built does not stop the others; the batch then fails (its answers are refused).
      for (const [facts, loggedAt] of JSON.parse(m.events) as [ExchangeFacts, number][]) {
        try {
          written = core.append(facts, loggedAt);
        } catch (err) {
          auditErrors.inc({ where: 'event' });
          failed ??= err;
        }
      }
      await written;
      if (failed !== undefined) throw failed;
      post({ type: 'written', batch: m.batch });
      sendState();
      return;
    }
    case 'drain':
      post({ type: 'reply', id: m.id, value: await core.drain() });
      return;
    case 'wait-sink':
      post({ type: 'reply', id: m.id, value: await core.waitForSink(m.sink, m.seq, m.timeoutMs) });
      return;
    case 'close':
      clearInterval(stateTimer);
      clearInterval(metricsTimer);
      await core.close();
      await sendMetrics();
      post({ type: 'reply', id: m.id, value: true });
      return;
  }
}

port.on('message', (m: ToAuditThread) => {
  handle(m).catch((err: unknown) => {
    logger.error({ err }, 'audit thread: message failed');
    // Whoever waits for this message's answer gets a failure, not silence.
    post({ type: 'failed-message', ...(m.type === 'events' ? { batch: m.batch } : { id: m.id }), message: err instanceof Error ? err.message : String(err) });
  });
});
sendState();
post({ type: 'ready' });
