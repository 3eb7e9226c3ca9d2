/*
 * The async half of a trace, and the workers' metrics: a producer's span → the relay's "publish <type>" →
 * the consumer's "process <type>" (with the handler's SQL inside), through a real outbox, Redis and worker.
 */
import { createMetricsRegistry, startInMemoryTracing, withSpan } from '@storefront/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { createEventConsumer, createJobWorker, type DomainEvent, OutboxRelay, writeToOutbox } from './index.ts';
import { openQueue } from './job-options.ts';
import { instrumentWorker, registerOutboxMetrics, registerQueueMetrics, relayMetrics } from './metrics.ts';
import { consumerQueueName } from './routing.ts';
import { type EventsTestEnvironment, orderPlaced, startEventsTestEnvironment } from './test-support.ts';
import { waitFor } from '@storefront/testing';

let env: EventsTestEnvironment;
let tracing: ReturnType<typeof startInMemoryTracing>;

beforeAll(async () => {
  tracing = startInMemoryTracing('events-test');
  env = await startEventsTestEnvironment('tracing');
});
afterAll(async () => {
  await env?.close();
  await tracing?.shutdown();
});

it('continues the producer trace through the relay into the job, and counts it all in the metrics', async () => {
  const registry = createMetricsRegistry('events-test', { processMetrics: false });
  const consumer = 'traced';
  const relay = new OutboxRelay({ db: env.prisma, subscriptions: { [consumer]: ['OrderPlaced'] }, queues: env.queues, onBatch: relayMetrics(registry, 'orders') });
  const outbox = registerOutboxMetrics(registry, { db: env.prisma, source: 'orders' });
  const queueMetrics = registerQueueMetrics(registry, { queues: env.queues, names: [consumerQueueName(consumer)] });
  const handled: string[] = [];
  // The handler hands heavy work to a job queue, as orders does with invoices: the trace continues into it.
  const jobs = openQueue<{ eventId: string }>('jobs.traced', env.queues);
  const jobsDone: string[] = [];
  const jobWorker = createJobWorker<{ eventId: string }, undefined>({
    queue: 'jobs.traced',
    queues: env.queues,
    async processor(job) {
      await env.prisma.$executeRaw`INSERT INTO effects (consumer, event_id) VALUES ('traced-job', ${job.data.eventId}::uuid)`;
      jobsDone.push(job.data.eventId);
    },
  });
  const events = createEventConsumer({
    consumer,
    db: env.prisma,
    queues: env.queues,
    handlers: {
      OrderPlaced: async (event, tx) => {
        await tx.$executeRaw`INSERT INTO effects (consumer, event_id) VALUES (${consumer}, ${event.id}::uuid)`;
        await jobs.add('render', { eventId: event.id }, { jobId: event.id });
        handled.push(event.id);
      },
    },
  });
  instrumentWorker(registry, events.worker);
  try {
    // The producer: a request span in which the event is defined (its traceparent taken from the span) and written.
    let event: DomainEvent | undefined;
    const producerSpanId = await withSpan('POST /graphql', { kind: SpanKind.SERVER }, async (span) => {
      event = orderPlaced();
      await env.prisma.$transaction(async (tx) => writeToOutbox(tx, event!));
      return span.spanContext().spanId;
    });
    expect(event!.traceparent).toContain(producerSpanId);
    expect(await registry.getSingleMetricAsString('outbox_backlog')).toMatch(/outbox_backlog\{[^}]*source="orders"[^}]*\} 1$/m);

    expect(await relay.relayOnce()).toEqual({ published: 1, failed: 0 });
    await waitFor(() => handled.includes(event!.id), 'the job to be processed', 15_000);
    await waitFor(() => tracing.exporter.getFinishedSpans().some((s) => s.name === 'process OrderPlaced'), 'the consumer span', 5_000);

    await waitFor(() => jobsDone.includes(event!.id), 'the heavy job', 15_000);
    await waitFor(() => tracing.exporter.getFinishedSpans().some((s) => s.name === 'process jobs.traced'), 'the job span', 5_000);

    const spans = tracing.exporter.getFinishedSpans();
    const named = (name: string) => spans.find((s) => s.name === name)!;
    const producer = named('POST /graphql');
    const publish = named('publish OrderPlaced');
    const processed = named('process OrderPlaced');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(processed.kind).toBe(SpanKind.CONSUMER);
    expect(publish.parentSpanId).toBe(producer.spanContext().spanId);
    // BullMQ's own spans carry it across Redis: add (PRODUCER, in the relay) → process (CONSUMER, in the worker).
    const added = named('add events.traced.OrderPlaced');
    const taken = named('process events.traced');
    expect([added.kind, taken.kind]).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER]);
    expect(added.parentSpanId).toBe(publish.spanContext().spanId);
    expect(taken.parentSpanId).toBe(added.spanContext().spanId);
    expect(processed.parentSpanId).toBe(taken.spanContext().spanId);
    // …and on into the heavy job the handler added.
    const jobAdded = named('add jobs.traced.render');
    const jobTaken = named('process jobs.traced');
    expect(jobTaken.parentSpanId).toBe(jobAdded.spanContext().spanId);
    const traceId = producer.spanContext().traceId;
    expect([publish, added, taken, processed, jobAdded, jobTaken].map((s) => s.spanContext().traceId)).toEqual(Array(6).fill(traceId));
    // The handler's transaction (processed_events, the effect) is Prisma's spans and SQL inside the consumer's span.
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const isWithin = (span: (typeof spans)[number], ancestor: (typeof spans)[number]): boolean => {
      for (let parent = span.parentSpanId && byId.get(span.parentSpanId); parent; parent = parent.parentSpanId && byId.get(parent.parentSpanId)) {
        if (parent === ancestor) return true;
      }
      return false;
    };
    const sqlInJob = spans.filter((s) => isWithin(s, processed) && s.attributes['db.system'] === 'postgresql');
    expect(sqlInJob.map((s) => s.attributes['db.operation.name'])).toEqual(expect.arrayContaining(['INSERT']));
    expect(spans.filter((s) => isWithin(s, processed)).map((s) => s.name)).toEqual(expect.arrayContaining(['prisma:client:transaction']));
    // The relay's own polling ran outside any trace and made no spans, neither SQL nor Prisma's.
    expect(spans.filter((s) => String(s.attributes['db.query.text'] ?? '').includes('FOR UPDATE SKIP LOCKED'))).toEqual([]);
    expect(spans.filter((s) => s.name.startsWith('prisma:') && !s.parentSpanId)).toEqual([]);
    expect(jobAdded && isWithin(jobAdded, processed)).toBe(true);
    expect(spans.some((s) => isWithin(s, jobTaken) && s.attributes['db.system'] === 'postgresql')).toBe(true);
    // BullMQ traces nothing on its own: no root spans from workers waiting for jobs or checking stalled ones.
    expect(spans.filter((s) => !s.parentSpanId).map((s) => s.name)).toEqual(['POST /graphql']);

    await waitFor(async () => /bullmq_job_duration_seconds_count\{[^}]*outcome="completed"[^}]*\} 1$/m.test(await registry.metrics()), 'job duration', 5_000);
    const text = await registry.metrics();
    expect(text).toMatch(/^outbox_events_published_total\{[^}]*source="orders"[^}]*\} 1$/m);
    expect(text).toMatch(/^outbox_backlog\{[^}]*source="orders"[^}]*\} 0$/m);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(text).toMatch(new RegExp(`^bullmq_queue_jobs\\{[^}]*queue="events\\.traced"[^}]*state="${state}"[^}]*\\} \\d+$`, 'm'));
    }
    expect(text).toMatch(/^events_dead_letters\{[^}]*queue="events\.traced"[^}]*\} 0$/m);
    expect(text).toContain('# TYPE bullmq_job_failures_total counter');
    outbox.close();
    await queueMetrics.close();
  } finally {
    await events.close();
    await jobWorker.close();
    await jobs.close();
    await relay.stop();
  }
});

it('leaves events without trace context outside a trace', async () => {
  expect(orderPlaced().traceparent).toBeNull();
});
