import {
  context,
  INVALID_SPAN_CONTEXT,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { PrismaInstrumentation } from '@prisma/instrumentation';

/*
 * Prisma Client's own spans (@prisma/instrumentation): `prisma:client:operation` per model call (its model and
 * method as attributes) and `prisma:client:transaction`, with the SQL spans of the pg pool (prisma-tools) below
 * them. Two adjustments:
 *  - only inside a trace. Prisma starts a root span for every call, and the relays poll and the consumers work
 *    outside any request: each call would be a trace of its own. A span is made only under a recording parent,
 *    as for SQL spans; elsewhere the client gets a non-recording one (and so do the statements below it).
 *  - no `prisma:client:db_query`: it would repeat, one level up, each SQL span the pg pool already records.
 * Prisma reads its instrumentation from a global, not by patching modules, so this works under ESM and jest.
 */

/** A tracer that starts real spans only when the context already holds a recording span. */
class InTraceOnlyTracer implements Tracer {
  constructor(private readonly tracer: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent: Context = context.active()): Span {
    return trace.getSpan(parent)?.isRecording() ? this.tracer.startSpan(name, options, parent) : trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, parent: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), () => fn(span) as ReturnType<F>);
  }
}

const inTraceOnly = (provider: TracerProvider): TracerProvider => ({
  getTracer: (name, version, options) => new InTraceOnlyTracer(provider.getTracer(name, version, options)),
});

/** Turns Prisma Client's spans on, into `provider`; returns how to turn them off again. */
export function enablePrismaTracing(provider: TracerProvider): () => void {
  const instrumentation = new PrismaInstrumentation({ enabled: false, ignoreSpanTypes: ['prisma:client:db_query'] });
  instrumentation.setTracerProvider(inTraceOnly(provider));
  instrumentation.enable();
  return () => instrumentation.disable();
}
