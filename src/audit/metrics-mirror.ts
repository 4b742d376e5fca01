import { AUDIT_METRICS } from './audit-metrics.ts';

/** One metric's values as the audit thread reports them. */
export interface MetricSnapshot {
  readonly name: string;
  readonly type: string;
  readonly values: readonly { readonly labels: Record<string, string | number>; readonly value: number }[];
}

/** The audit thread's own audit metrics, to be sent to the proxy thread (which serves /metrics). */
export async function snapshotAuditMetrics(): Promise<MetricSnapshot[]> {
  const all = await Promise.all(AUDIT_METRICS.map((m) => m.get()));
  return all.map((m) => ({ name: m.name, type: String(m.type), values: m.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value })) }));
}

/**
 * Applies the audit thread's snapshots to the same metrics on the proxy thread: gauges take the
 * value, counters grow by what the thread counted since its last snapshot (the proxy thread counts
 * into some of the same counters itself, e.g. write timeouts).
 */
export class MetricsMirror {
  readonly #byName = new Map(AUDIT_METRICS.map((m) => [(m as unknown as { name: string }).name, m]));
  readonly #seen = new Map<string, number>();

  apply(snapshots: readonly MetricSnapshot[]): void {
    for (const s of snapshots) {
      const metric = this.#byName.get(s.name);
      if (metric === undefined) continue;
      for (const { labels, value } of s.values) {
        if (s.type === 'gauge') {
          (metric as { set(labels: Record<string, string | number>, v: number): void }).set(labels, value);
          continue;
        }
        const key = `${s.name}${JSON.stringify(labels)}`;
        const delta = value - (this.#seen.get(key) ?? 0);
        this.#seen.set(key, value);
        if (delta > 0) (metric as { inc(labels: Record<string, string | number>, v: number): void }).inc(labels, delta);
      }
    }
  }
}
