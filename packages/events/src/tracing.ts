import { context, SpanKind, trace, type Context, type SpanOptions } from '@opentelemetry/api';
import { contextFromTraceparent, InTraceOnlyTracer, traceparentOf, tracingEnabled, withSpan } from '@storefront/telemetry';
import { type Telemetry } from 'bullmq';
import { BullMQOtel, BullMQOTelSpan } from 'bullmq-otel';

/*
 * Tracing across the outbox. One trace follows a change from the request that made it to the jobs it causes:
 *
 *   producer's span (e.g. the subgraph's POST /graphql) ─ event.traceparent, stored in outbox_events.trace_context
 *     └─ "publish <type>" (relay, PRODUCER) ─ the job's event.traceparent is replaced by this span's
 *          └─ "add events.<consumer>.<type>" (BullMQ's own, PRODUCER) ─ its context travels in the job's options
 *               └─ "process events.<consumer>" (BullMQ's own, CONSUMER)
 *                    └─ "process <type>" (the consumer's) ─ the handler's Prisma and SQL spans, and the jobs it
 *                         adds: "add jobs.<name>" → "process jobs.<name>" → that job's spans
 *
 * With tracing off every helper here is a pass-through, queues and workers get no telemetry, and events carry no
 * traceparent.
 */

let bullmq: Telemetry | undefined;

/**
 * BullMQ's own tracing (bullmq-otel), for every Queue and Worker of the store: `{ telemetry }` while this
 * process traces, else nothing. Its spans only continue a trace (InTraceOnlyTracer): workers waiting for jobs,
 * stalled-job checks and scheduled sweeps outside any request start none.
 */
export function queueTelemetry(): { telemetry?: Telemetry } {
  if (!tracingEnabled()) return {};
  bullmq ??= {
    contextManager: new BullMQOtel({ tracerName: 'bullmq' }).contextManager,
    tracer: {
      // The global tracer looked up per span, so a provider registered later (tests) is the one used.
      startSpan: (name, options, parent) => new BullMQOTelSpan(new InTraceOnlyTracer(trace.getTracer('bullmq')).startSpan(name, options as SpanOptions, parent as Context | undefined)),
    },
  };
  return { telemetry: bullmq };
}

/** The active span's traceparent, for a new event (defineEvent); null outside a trace. */
export function producerTraceparent(): string | null {
  return traceparentOf() ?? null;
}

/** Where spans about an event hang: the context its traceparent names, else whatever is active. */
function parentOf(traceparent: string | null | undefined): Context {
  return traceparent ? contextFromTraceparent(traceparent) : context.active();
}

interface TracedEvent {
  id: string;
  type: string;
  source: string;
  traceparent?: string | null;
}

/**
 * Runs `publish` inside a "publish <type>" span, child of the producer's context, handing it the event with
 * its traceparent pointing at this span (when tracing is on) so the consumer's span is a child of it.
 */
export function tracePublish<E extends TracedEvent, T>(event: E, publish: (event: E) => Promise<T>): Promise<T> {
  return withSpan(
    `publish ${event.type}`,
    {
      kind: SpanKind.PRODUCER,
      parent: parentOf(event.traceparent),
      attributes: { 'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.message.id': event.id, 'event.source': event.source },
    },
    () => {
      const traceparent = traceparentOf();
      return publish(traceparent ? { ...event, traceparent } : event);
    },
  );
}

/**
 * Runs `work` inside a "process <type>" span: child of BullMQ's own "process" span when there is one, else of
 * the context the job's event carries. The job data is read raw (it may be an invalid event, which the span
 * then records as the failure).
 */
export function traceProcess<T>(consumer: string, jobData: unknown, jobId: string | undefined, work: () => Promise<T>): Promise<T> {
  const data = (typeof jobData === 'object' && jobData !== null ? jobData : {}) as Partial<Record<'type' | 'traceparent' | 'id', unknown>>;
  const type = typeof data.type === 'string' ? data.type : 'unknown';
  const traceparent = typeof data.traceparent === 'string' ? data.traceparent : undefined;
  return withSpan(
    `process ${type}`,
    {
      kind: SpanKind.CONSUMER,
      // A job without trace context (tracing was off at the producer) starts a trace of its own.
      parent: trace.getActiveSpan()?.isRecording() ? context.active() : traceparent ? contextFromTraceparent(traceparent) : trace.deleteSpan(context.active()),
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': consumer,
        ...(typeof data.id === 'string' ? { 'messaging.message.id': data.id } : {}),
        ...(jobId ? { 'bullmq.job.id': jobId } : {}),
      },
    },
    work,
  );
}
