import { randomBytes } from 'node:crypto';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';

/** The tracer of the platform's own spans (HTTP hosts, SQL, events); libraries bring their own. */
export function storefrontTracer(): Tracer {
  return trace.getTracer('storefront');
}

/** Marks the span failed with the error, unless the error is an expected outcome the caller handles. */
export function recordSpanError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `work` inside a new active span (child of `parent`, by default the active context), ending it when
 * the work settles and recording a thrown error. With tracing off this is a no-op span: no cost beyond a call.
 */
export function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return storefrontTracer().startActiveSpan(name, { kind: options.kind, attributes: options.attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);

/** The W3C traceparent of `ctx` (the active context by default); undefined when tracing is off or no span is active. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a W3C traceparent (and tracestate) describes, to parent spans on; ROOT when absent or malformed. */
export function contextFromTraceparent(traceparent: string | null | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, tracestate ? { traceparent, tracestate } : { traceparent });
}

/** The trace id a W3C traceparent header carries, when it is well-formed. */
export function traceIdFromTraceparent(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  return match?.[1] && match[1] !== INVALID_TRACE_ID ? match[1] : undefined;
}

/** The trace id of the active span, if there is a valid one. */
export function activeTraceId(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * A traceparent that carries only `traceId` onward (a fresh parent id, not sampled): with tracing off, logs
 * of every process a request crosses still share one trace id.
 */
export function untracedTraceparent(traceId: string): string {
  return `00-${traceId}-${randomBytes(8).toString('hex')}-00`;
}

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
