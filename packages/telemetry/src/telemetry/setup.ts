import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { enablePrismaTracing } from './prisma-tracing.ts';

/** What startTelemetry decided, and how to flush it on the way out. */
export interface Telemetry {
  readonly enabled: boolean;
  /** Exports the spans still buffered and unregisters the SDK. Safe to call twice. */
  shutdown(): Promise<void>;
}

const exporterNames = new Set(['otlp', 'console', 'none']);

/**
 * Which span exporters the standard OTEL_* variables ask for; none means tracing stays off (and costs
 * nothing: the OpenTelemetry API's no-op tracer and no context manager). OTEL_TRACES_EXPORTER wins; without
 * it, an OTLP endpoint alone turns OTLP export on, as the SDKs' own default would.
 */
export function tracesExportersFromEnv(env: NodeJS.ProcessEnv = process.env): Array<'otlp' | 'console'> {
  if (/^(true|1)$/i.test(env.OTEL_SDK_DISABLED ?? '')) return [];
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (named.length) {
    const unknown = named.filter((name) => !exporterNames.has(name));
    if (unknown.length) throw new Error(`OTEL_TRACES_EXPORTER: unsupported exporter(s) ${unknown.join(', ')} (use otlp, console or none)`);
    return named.includes('none') ? [] : [...new Set(named as Array<'otlp' | 'console'>)];
  }
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp'] : [];
}

let active: { provider: BasicTracerProvider; contextManager: AsyncLocalStorageContextManager; disablePrisma: () => void } | undefined;
let shuttingDown: Promise<void> | undefined;

/**
 * Registers a tracer provider with these span processors as the process's global one, with W3C trace
 * context propagation and an AsyncLocalStorage context manager (so the active span follows async work).
 * @apollo/gateway's own spans (gateway.request, gateway.plan, gateway.fetch…) and Prisma Client's
 * (prisma-tracing.ts) then land in it too.
 */
export function registerTracing(serviceName: string, processors: SpanProcessor[], env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (active) throw new Error('Tracing is already registered in this process');
  const resource = new Resource({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || serviceName }).merge(
    // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, service.version…); its service.name is the one above.
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (parent-based always-on by default).
  const provider = new BasicTracerProvider({ resource });
  for (const processor of processors) provider.addSpanProcessor(processor);
  const contextManager = new AsyncLocalStorageContextManager().enable();
  provider.register({ contextManager, propagator: new W3CTraceContextPropagator() });
  active = { provider, contextManager, disablePrisma: enablePrismaTracing(provider) };
  shuttingDown = undefined;
  return { enabled: true, shutdown: shutdownTelemetry };
}

/**
 * Turns tracing on for this process when the OTEL_* variables configure an exporter; call it first thing
 * in a process's main. OTEL_SERVICE_NAME overrides `serviceName`; the OTLP exporter reads
 * OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _HEADERS / _TIMEOUT itself.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const exporters = tracesExportersFromEnv(env);
  if (!exporters.length || active) return { enabled: Boolean(active), shutdown: shutdownTelemetry };
  const processors = exporters.map((name): SpanProcessor => {
    const exporter: SpanExporter = name === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter();
    // Export off the request path, in batches; the console exporter is for eyeballing, one span at a time.
    return name === 'otlp' ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter);
  });
  return registerTracing(serviceName, processors, env);
}

/** Whether this process records spans (startTelemetry found an exporter, or a test registered one). */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** Flushes and unregisters what startTelemetry / registerTracing set up (runMain calls it on shutdown). */
export function shutdownTelemetry(): Promise<void> {
  if (!active) return shuttingDown ?? Promise.resolve();
  const { provider, contextManager, disablePrisma } = active;
  active = undefined;
  disablePrisma();
  shuttingDown = provider.shutdown().finally(() => {
    contextManager.disable();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  return shuttingDown;
}

/** Tracing into memory for tests: every ended span is in `exporter.getFinishedSpans()` at once. */
export function startInMemoryTracing(serviceName = 'test'): { exporter: InMemorySpanExporter; shutdown(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  registerTracing(serviceName, [new SimpleSpanProcessor(exporter)], {});
  return { exporter, shutdown: shutdownTelemetry };
}
