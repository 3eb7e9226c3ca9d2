export { registerTracing, shutdownTelemetry, startInMemoryTracing, startTelemetry, tracesExportersFromEnv } from './setup.ts';
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
