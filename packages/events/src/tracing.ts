import { context, SpanKind, trace, type Context } from '@opentelemetry/api';
import { contextFromTraceparent, traceparentOf, withSpan } from '@storefront/common';

/*
 * Tracing across the outbox. One trace follows a change from the request that made it to the jobs it causes:
 *
 *   producer's span (e.g. the subgraph's POST /graphql) ─ event.traceparent, stored in outbox_events.trace_context
 *     └─ "publish <type>" (relay, PRODUCER) ─ the job's event.traceparent is replaced by this span's
 *          └─ "process <type>" (consumer, CONSUMER) ─ the handler's SQL runs inside it
 *
 * With tracing off every helper here is a pass-through and events carry no traceparent.
 */

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
 * Runs `work` inside a "process <type>" span, child of the context the job's event carries. The job data is
 * read raw (it may be an invalid event, which the span then records as the failure).
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
      parent: traceparent ? contextFromTraceparent(traceparent) : trace.deleteSpan(context.active()),
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
