export { registerTracing, shutdownTelemetry, startInMemoryTracing, startTelemetry, tracesExportersFromEnv, tracingEnabled } from './setup.ts';
export { InTraceOnlyTracer } from './in-trace-only.ts';
export type { Telemetry } from './setup.ts';
export {
  activeTraceId,
  contextFromTraceparent,
  newTraceId,
  recordSpanError,
  storefrontTracer,
  traceIdFromTraceparent,
  traceparentOf,
  untracedTraceparent,
  withSpan,
} from './spans.ts';
