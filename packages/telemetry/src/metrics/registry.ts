import type http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Registry } from 'prom-client';

/**
 * One process's Prometheus registry, with Node's default process metrics (CPU, memory, event loop lag, GC).
 * Each server gets its own registry rather than prom-client's global one, so tests can run a router and
 * several subgraphs in one process without their metrics colliding.
 */
export function createMetricsRegistry(service: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** GET /metrics in Prometheus' text format. */
export function metricsHandler(registry: Registry): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('content-type', registry.contentType);
    res.end(body);
  };
}

/**
 * Caps the distinct values a label may take: operation names come from clients, and every new value is a new
 * time series. Values past the cap (and over-long ones) are reported as "other".
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max || value.length > 100) return 'other';
    seen.add(value);
    return value;
  };
}

/** Buckets for request latencies, from 5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
