export { boundedLabel, Counter, createMetricsRegistry, Gauge, LATENCY_BUCKETS, metricsHandler, Registry } from './registry.ts';
export { createHttpMetrics } from './http-metrics.ts';
export type { HttpMetrics } from './http-metrics.ts';
export { graphqlMetricsPlugin } from './graphql-metrics.ts';
export { registerPoolMetrics } from './pool-metrics.ts';
export type { PoolStats } from './pool-metrics.ts';
