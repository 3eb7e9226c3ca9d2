import { Queue } from 'bullmq';
import { type TransactionalDatabase } from './database.ts';
import { type EventConsumer } from './event-consumer.ts';
import { type JobWorker } from './job-worker.ts';
import { type QueueConnection } from './job-options.ts';
import { errorMessage, type EventLogger } from './logger.ts';
import { queueConnectionFromEnv } from './queue-config.ts';
import { OutboxRelay, type OutboxRelayOptions } from './relay.ts';
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
  /** Told each relay batch's outcome (metrics). */
  relayOnBatch?: OutboxRelayOptions['onBatch'];
}

/** Starts a service's relay, consumers, job workers and schedules (see service-workers.ts). */
export async function startServiceWorkers<Client extends TransactionalDatabase>(
  service: string,
  factory: ServiceWorkersFactory<Client>,
  runtime: WorkerRuntime<Client>,
  options: StartServiceWorkersOptions = {},
): Promise<RunningServiceWorkers> {
  const { queues, logger } = runtime;
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
          onBatch: options.relayOnBatch,
        });
  const consumers = definition.consumers.map((spec) => spec.start(queues, logger));
  const jobs = definition.jobs.map((spec) => spec.start(queues, logger));
  const scheduleQueues = await registerSchedules(definition.schedules, queues);
  relay?.start();
  const probe = new Queue('health', { connection: queues.connection, prefix: queues.prefix });
  logger.info(
    { service, consumers: definition.consumers.map((c) => c.consumer), jobs: definition.jobs.map((j) => j.queue), relay: Boolean(relay) },
    'workers started',
  );
  return {
    service,
    consumers,
    jobs,
    relay,
    queueNames: [...consumers.map((c) => c.worker.name), ...jobs.map((j) => j.worker.name)],
    async ready() {
      // Workers' connections queue commands while Redis is away instead of failing: bound the wait.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 2_000)));
      const answered = probe.getJobCounts('waiting').then(() => true, () => false);
      return Promise.race([answered, timeout]).finally(() => clearTimeout(timer));
    },
    async close() {
      const results = await Promise.allSettled([
        relay?.stop(),
        ...consumers.map((c) => c.close()),
        ...jobs.map((j) => j.close()),
        ...scheduleQueues.map((q) => q.close()),
        probe.close(),
      ]);
      await definition.close?.();
      for (const result of results) {
        if (result.status === 'rejected') logger.error({ service, err: errorMessage(result.reason) }, 'worker did not close cleanly');
      }
    },
  };
}

async function registerSchedules(schedules: readonly ScheduleSpec[], queues: QueueConnection): Promise<Queue[]> {
  const opened = new Map<string, Queue>();
  for (const schedule of schedules) {
    let queue = opened.get(schedule.queue);
    if (!queue) {
      queue = new Queue(schedule.queue, { connection: queues.connection, prefix: queues.prefix });
      opened.set(schedule.queue, queue);
    }
    // Upsert: every host declares the same scheduler id, BullMQ keeps one.
    await queue.upsertJobScheduler(
      schedule.schedulerId,
      { every: schedule.everyMs },
      { name: schedule.jobName, data: schedule.data ?? {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 86_400 } } },
    );
  }
  return [...opened.values()];
}

/**
 * The `background` hook of a subgraph process (packages/prisma-tools startPrismaSubgraph) that hosts the
 * service's workers in-process, on the subgraph's own client (RUN_WORKERS=true; development on PGlite).
 */
export function hostedWorkers<Client extends TransactionalDatabase>(service: string, factory: ServiceWorkersFactory<Client>) {
  return (prisma: Client, logger: EventLogger): Promise<RunningServiceWorkers> =>
    startServiceWorkers(service, factory, { prisma, queues: queueConnectionFromEnv(), logger, env: process.env });
}
