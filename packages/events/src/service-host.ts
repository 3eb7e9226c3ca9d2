import { type Queue } from 'bullmq';
import { openQueueRedis, quitOrDrop } from './queue-redis.ts';
import { type Registry } from 'prom-client';
import { z } from 'zod';
import { loadConfig } from '@storefront/config';
import { type SqlExecutor, type TransactionalDatabase } from './database.ts';
import { type EventConsumer } from './event-consumer.ts';
import { eventHousekeeping, eventRetentionFromEnv } from './housekeeping.ts';
import { type JobWorker } from './job-worker.ts';
import { openQueue, type QueueConnection } from './job-options.ts';
import { errorMessage, type EventLogger } from './logger.ts';
import { queueConnectionFromEnv } from './queue-config.ts';
import { instrumentWorker, listenerMetrics, registerOutboxMetrics, registerQueueMetrics, relayMetrics } from './metrics.ts';
import { type ChannelListen, embeddedOutboxWakeups, type OutboxWakeups, PostgresOutboxListener } from './outbox-listener.ts';
import { OutboxRelay } from './relay.ts';
import { type ScheduleSpec, type ServiceWorkersFactory, type WorkerRuntime } from './service-workers.ts';
import { STORE_SUBSCRIPTIONS } from './subscriptions.ts';
import { type EventSubscriptions } from './routing.ts';

export interface RunningServiceWorkers {
  service: string;
  consumers: readonly EventConsumer[];
  jobs: readonly JobWorker[];
  relay: OutboxRelay | undefined;
  /** Every work queue this host consumes (for metrics and dashboards). */
  queueNames: readonly string[];
  /** Redis answers (the database is checked by whoever owns the client). */
  ready(): Promise<boolean>;
  /**
   * Graceful stop: the relay finishes its batch, workers stop taking jobs and wait for the ones in progress
   * (BullMQ's worker.close), so a SIGTERM hands nothing back half-done; what a killed process leaves behind
   * BullMQ re-delivers as a stalled job.
   */
  close(): Promise<void>;
}

export interface StartServiceWorkersOptions {
  subscriptions?: EventSubscriptions;
  /** Relay poll delays (tests shorten them). */
  relayIdleDelayMs?: { min: number; max: number };
  /**
   * A Postgres URL of the service's database (the worker process passes its DATABASE_URL; OUTBOX_LISTEN_URL in
   * the runtime's env wins, for a DATABASE_URL that goes through PgBouncer in transaction mode): the relay
   * LISTENs there and publishes as soon as outbox rows commit. Without one it only polls.
   */
  outboxListenUrl?: string;
  /** Another source of wake-ups for the relay (embedded databases); wins over outboxListenUrl. */
  outboxWakeups?: OutboxWakeups;
  /** Where this host's metrics go (queue depth, job durations and failures, outbox backlog, relay counts). */
  metrics?: Registry;
}

const listenEnv = z.object({
  // Set when DATABASE_URL goes through a pooler in transaction mode, where LISTEN does not work: a direct URL.
  OUTBOX_LISTEN_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'OUTBOX_LISTEN_URL must be a postgres:// URL' }).optional(),
});

/** A service's Prisma client as the host uses it: transactions, raw reads (outbox backlog) and prunes. */
export type WorkerDatabase = TransactionalDatabase & Pick<SqlExecutor, '$queryRaw' | '$executeRaw'>;

/**
 * Starts a service's relay, consumers, job workers and schedules (see service-workers.ts), plus the scheduled
 * prune of its outbox and processed-event tables (housekeeping.ts) when it has either.
 */
export async function startServiceWorkers<Client extends WorkerDatabase>(
  service: string,
  factory: ServiceWorkersFactory<Client>,
  runtime: WorkerRuntime<Client>,
  options: StartServiceWorkersOptions = {},
): Promise<RunningServiceWorkers> {
  const { queues, logger } = runtime;
  const outboxListenUrl = loadConfig(service, listenEnv, runtime.env).OUTBOX_LISTEN_URL ?? options.outboxListenUrl;
  const definition = await factory(runtime);
  const relay =
    definition.relay === false
      ? undefined
      : new OutboxRelay({
          db: runtime.prisma,
          subscriptions: options.subscriptions ?? STORE_SUBSCRIPTIONS,
          queues,
          logger,
          idleDelayMs: options.relayIdleDelayMs,
          wakeups:
            options.outboxWakeups ??
            (outboxListenUrl
              ? new PostgresOutboxListener({ connectionString: outboxListenUrl, logger, onState: options.metrics && listenerMetrics(options.metrics, service) })
              : undefined),
          onBatch: options.metrics && relayMetrics(options.metrics, service),
        });
  const tables = { outbox: relay !== undefined, processed: definition.consumers.length > 0 };
  const housekeeping =
    (tables.outbox || tables.processed) && eventHousekeeping(service, runtime.prisma, tables, eventRetentionFromEnv(runtime.env, service), logger);
  const jobSpecs = housekeeping ? [...definition.jobs, housekeeping.job] : definition.jobs;
  const schedules = housekeeping ? [...definition.schedules, housekeeping.schedule] : definition.schedules;
  const consumers = definition.consumers.map((spec) => spec.start(queues, logger));
  const jobs = jobSpecs.map((spec) => spec.start(queues, logger));
  // Not awaited: with Redis away BullMQ waits for it, and a subgraph hosting its workers must still serve.
  const scheduleQueues = registerSchedules(schedules, queues, logger);
  relay?.start();
  const { metrics } = options;
  if (metrics) for (const running of [...consumers, ...jobs]) instrumentWorker(metrics, running.worker);
  const queueNames = [...consumers.map((c) => c.worker.name), ...jobs.map((j) => j.worker.name)];
  const queueMetrics = metrics && registerQueueMetrics(metrics, { queues, names: queueNames });
  const outboxMetrics = metrics && relay && registerOutboxMetrics(metrics, { db: runtime.prisma, source: service });
  // Its own connection that fails fast: the workers' connections queue commands while Redis is away.
  const probe = openQueueRedis(queues, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  probe.on('error', () => {}); // readiness reports it; the workers log their own connection errors
  logger.info(
    { service, consumers: definition.consumers.map((c) => c.consumer), jobs: jobSpecs.map((j) => j.queue), relay: Boolean(relay) },
    'workers started',
  );
  return {
    service,
    consumers,
    jobs,
    relay,
    queueNames,
    async ready() {
      if (probe.status === 'wait') await probe.connect().catch(() => undefined);
      return probe.ping().then((answer) => answer === 'PONG', () => false);
    },
    async close() {
      outboxMetrics?.close();
      const results = await Promise.allSettled([
        queueMetrics?.close(),
        relay?.stop(),
        ...consumers.map((c) => c.close()),
        ...jobs.map((j) => j.close()),
        ...scheduleQueues.map((q) => q.close()),
        quitOrDrop(probe),
      ]);
      await definition.close?.();
      for (const result of results) {
        if (result.status === 'rejected') logger.error({ service, err: errorMessage(result.reason) }, 'worker did not close cleanly');
      }
    },
  };
}

function registerSchedules(schedules: readonly ScheduleSpec[], queues: QueueConnection, logger: EventLogger): Queue[] {
  const opened = new Map<string, Queue>();
  for (const schedule of schedules) {
    let queue = opened.get(schedule.queue);
    if (!queue) {
      queue = openQueue(schedule.queue, queues);
      opened.set(schedule.queue, queue);
    }
    // Upsert: every host declares the same scheduler id, BullMQ keeps one.
    queue
      .upsertJobScheduler(
        schedule.schedulerId,
        { every: schedule.everyMs },
        { name: schedule.jobName, data: schedule.data ?? {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 86_400 } } },
      )
      .catch((error: unknown) => logger.error({ scheduler: schedule.schedulerId, err: errorMessage(error) }, 'job schedule not registered'));
  }
  return [...opened.values()];
}

/** Where the subgraph process's database can be heard (prisma-tools' ServiceDatabase.notifications). */
export type HostedDatabaseNotifications = { kind: 'postgres'; url: string } | { kind: 'embedded'; listen: ChannelListen };

/**
 * The `background` hook of a subgraph process (packages/subgraph-runtime defineSubgraph) that hosts the
 * service's workers in-process, on the subgraph's own client (RUN_WORKERS=true; development on PGlite). Its
 * relay wakes on commits as a worker process's does: through PGlite's own listen, or LISTEN on Postgres.
 */
export function hostedWorkers<Client extends WorkerDatabase>(service: string, factory: ServiceWorkersFactory<Client>) {
  return (prisma: Client, logger: EventLogger, metrics: Registry, notifications?: HostedDatabaseNotifications): Promise<RunningServiceWorkers> =>
    startServiceWorkers(
      service,
      factory,
      { prisma, queues: queueConnectionFromEnv(process.env, service), logger, env: process.env },
      {
        metrics,
        outboxListenUrl: notifications?.kind === 'postgres' ? notifications.url : undefined,
        outboxWakeups: notifications?.kind === 'embedded' ? embeddedOutboxWakeups(notifications.listen, { logger }) : undefined,
      },
    );
}
