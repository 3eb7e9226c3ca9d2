import { type Job, type Worker } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type SqlExecutor } from './database.ts';
import { deadLetterQueueOf, isGivenUp } from './dead-letters.ts';
import { openQueue, type QueueConnection } from './job-options.ts';
import { type RelayBatchResult } from './relay.ts';

/*
 * Prometheus collectors for the worker processes: queue depth (read from Redis at each scrape), job durations
 * and failures (from the workers' events), dead letters, the outbox backlog and the relay's throughput. Each
 * takes the process's registry (createMetricsRegistry from @storefront/subscriptions) and is safe to call for
 * several queues, workers or relays on one registry: the metrics themselves are registered once.
 */

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

/** Job durations from a few milliseconds to a long report. */
const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface EventsMetricSet {
  queueJobs: Gauge<'queue' | 'state'>;
  deadLetters: Gauge<'queue'>;
  jobDuration: Histogram<'queue' | 'outcome'>;
  jobFailures: Counter<'queue' | 'final'>;
  relayPublished: Counter<'source'>;
  relayFailed: Counter<'source'>;
  relayBatchFailures: Counter<'source'>;
  outboxBacklog: Gauge<'source'>;
  outboxOldest: Gauge<'source'>;
  outboxListener: Gauge<'source'>;
  /** Async readers the gauges above call at each scrape. */
  queueReaders: Set<() => Promise<void>>;
  outboxReaders: Set<() => Promise<void>>;
}

const metricSets = new WeakMap<Registry, EventsMetricSet>();

function metricsOf(registry: Registry): EventsMetricSet {
  const existing = metricSets.get(registry);
  if (existing) return existing;
  const queueReaders = new Set<() => Promise<void>>();
  const outboxReaders = new Set<() => Promise<void>>();
  const readAll = async (readers: Set<() => Promise<void>>) => {
    // A scrape while Redis or the database is down reports what it can instead of failing whole.
    await Promise.allSettled([...readers].map((read) => read()));
  };
  const set: EventsMetricSet = {
    queueJobs: new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in a queue by state (waiting, active, delayed, failed, prioritized), read at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      collect: () => readAll(queueReaders),
    }),
    deadLetters: new Gauge({
      name: 'events_dead_letters',
      help: 'Dead letters waiting for a person, by the work queue they failed in',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'bullmq_job_duration_seconds',
      help: 'Time a worker spent on a job, by queue and outcome (completed, failed)',
      labelNames: ['queue', 'outcome'] as const,
      buckets: JOB_DURATION_BUCKETS,
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'bullmq_job_failures_total',
      help: 'Failed job attempts, by queue; final="true" when the job was given up (dead-lettered)',
      labelNames: ['queue', 'final'] as const,
      registers: [registry],
    }),
    relayPublished: new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox rows the relay handed to BullMQ, by producing service',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    relayFailed: new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Outbox rows whose publish failed (retried later), by producing service',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    relayBatchFailures: new Counter({
      name: 'outbox_relay_batch_failures_total',
      help: 'Relay batches that rolled back (database or Redis unavailable), by producing service',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox rows not yet published, read at scrape time',
      labelNames: ['source'] as const,
      registers: [registry],
      collect: () => readAll(outboxReaders),
    }),
    outboxOldest: new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none), read with outbox_backlog',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    outboxListener: new Gauge({
      name: 'outbox_listener_connected',
      help: 'Whether the relay LISTENs for commits (1) or is reconnecting and only polls meanwhile (0), by producing service',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    queueReaders,
    outboxReaders,
  };
  metricSets.set(registry, set);
  return set;
}

/**
 * Queue depth per state and dead letters for each named queue (events.<consumer>, jobs.<name>), read from
 * Redis at each scrape. Opens its own Queue handles; close() releases them.
 */
export function registerQueueMetrics(registry: Registry, options: { queues: QueueConnection; names: readonly string[] }): { close(): Promise<void> } {
  const metrics = metricsOf(registry);
  const open = (queueName: string) => openQueue(queueName, options.queues);
  const handles = options.names.map((name) => ({ name, work: open(name), dead: open(deadLetterQueueOf(name)) }));
  const read = async () => {
    await Promise.all(
      handles.map(async ({ name, work, dead }) => {
        const [counts, deadLetters] = await Promise.all([work.getJobCounts(...JOB_STATES), dead.count()]);
        for (const state of JOB_STATES) metrics.queueJobs.set({ queue: name, state }, counts[state] ?? 0);
        metrics.deadLetters.set({ queue: name }, deadLetters);
      }),
    );
  };
  metrics.queueReaders.add(read);
  return {
    async close() {
      metrics.queueReaders.delete(read);
      await Promise.all(handles.flatMap(({ work, dead }) => [work.close(), dead.close()]));
    },
  };
}

function jobSeconds(job: Job): number | undefined {
  if (!job.processedOn) return undefined;
  return Math.max(0, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1_000);
}

/** Job duration and failures of a BullMQ worker (an event consumer's or a heavy job's), from its events. */
export function instrumentWorker(registry: Registry, worker: Worker): void {
  const metrics = metricsOf(registry);
  const queue = worker.name;
  worker.on('completed', (job) => {
    const seconds = jobSeconds(job);
    if (seconds !== undefined) metrics.jobDuration.observe({ queue, outcome: 'completed' }, seconds);
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const seconds = jobSeconds(job);
    if (seconds !== undefined) metrics.jobDuration.observe({ queue, outcome: 'failed' }, seconds);
    metrics.jobFailures.inc({ queue, final: String(isGivenUp(job, error)) });
  });
}

/**
 * The outbox backlog of one service's database (rows not yet published, age of the oldest), read at each
 * scrape with one indexed query.
 */
export function registerOutboxMetrics(registry: Registry, options: { db: Pick<SqlExecutor, '$queryRaw'>; source: string }): { close(): void } {
  const metrics = metricsOf(registry);
  const read = async () => {
    const [row] = await options.db.$queryRaw<Array<{ backlog: bigint | number; oldest_seconds: number | null }>>`
      SELECT count(*) AS backlog, EXTRACT(EPOCH FROM now() - min(occurred_at))::float8 AS oldest_seconds
      FROM outbox_events WHERE published_at IS NULL`;
    metrics.outboxBacklog.set({ source: options.source }, Number(row?.backlog ?? 0));
    metrics.outboxOldest.set({ source: options.source }, Math.max(0, row?.oldest_seconds ?? 0));
  };
  metrics.outboxReaders.add(read);
  return { close: () => void metrics.outboxReaders.delete(read) };
}

/** The relay's `onBatch` hook (OutboxRelayOptions): rows published and failed, batches rolled back. */
export function relayMetrics(registry: Registry, source: string): (outcome: RelayBatchResult | Error) => void {
  const metrics = metricsOf(registry);
  return (outcome) => {
    if (outcome instanceof Error) {
      metrics.relayBatchFailures.inc({ source });
      return;
    }
    if (outcome.published) metrics.relayPublished.inc({ source }, outcome.published);
    if (outcome.failed) metrics.relayFailed.inc({ source }, outcome.failed);
  };
}

/** The outbox listener's `onState` hook (PostgresOutboxListenerOptions): 1 while it listens, 0 while it reconnects. */
export function listenerMetrics(registry: Registry, source: string): (state: 'listening' | 'disconnected') => void {
  const metrics = metricsOf(registry);
  return (state) => metrics.outboxListener.set({ source }, state === 'listening' ? 1 : 0);
}
