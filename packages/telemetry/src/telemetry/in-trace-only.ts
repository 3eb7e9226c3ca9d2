import { context, INVALID_SPAN_CONTEXT, trace, TraceFlags, type Context, type Span, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';

/*
 * Libraries that trace on their own (Prisma Client, BullMQ) start a root span for every call they make, and the
 * relays poll, the workers wait for jobs and the schedulers sweep outside any request: each would be a trace of
 * its own, many per second. Wrapped in this tracer, their spans only continue a trace: a span is made when the
 * parent context carries a sampled span (a local one, or a remote one from a job's or request's propagation
 * metadata); elsewhere the caller gets a non-recording span, and so does whatever runs under it.
 */
export class InTraceOnlyTracer implements Tracer {
  constructor(private readonly tracer: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent: Context = context.active()): Span {
    const parentSpan = trace.getSpanContext(parent);
    const continues = parentSpan !== undefined && trace.isSpanContextValid(parentSpan) && (parentSpan.traceFlags & TraceFlags.SAMPLED) !== 0;
    return continues ? this.tracer.startSpan(name, options, parent) : trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
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

/** `provider`, whose tracers only continue traces (see above). */
export const inTraceOnly = (provider: TracerProvider): TracerProvider => ({
  getTracer: (name, version, options) => new InTraceOnlyTracer(provider.getTracer(name, version, options)),
});
