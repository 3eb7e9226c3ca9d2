export { createLogger, defaultLogFormat, REDACTED_PATHS } from './logger.ts';
export type { Logger, LoggerOptions } from './logger.ts';
export {
  activeTraceId,
  contextFromTraceparent,
  InTraceOnlyTracer,
  newTraceId,
  recordSpanError,
  registerTracing,
  shutdownTelemetry,
  startInMemoryTracing,
  startTelemetry,
  storefrontTracer,
  traceIdFromTraceparent,
  traceparentOf,
  tracesExportersFromEnv,
  tracingEnabled,
  untracedTraceparent,
  withSpan,
} from './telemetry/index.ts';
export type { Telemetry } from './telemetry/index.ts';
export { boundedLabel, Counter, createHttpMetrics, createMetricsRegistry, Gauge, graphqlMetricsPlugin, LATENCY_BUCKETS, metricsHandler, Registry, registerPoolMetrics } from './metrics/index.ts';
export type { HttpMetrics, PoolStats } from './metrics/index.ts';
