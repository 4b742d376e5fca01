import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry for the process. Each area defines its metrics once, at module load, in its own
 * `*-metrics.ts` file registered here; labels are bounded (never session or request ids).
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'mcp_warden_process_' });
