import { createEventConsumer, type EventConsumer, type EventConsumerOptions } from './event-consumer.ts';
import { type SqlExecutor } from './database.ts';
import { createJobWorker, type JobWorker, type JobWorkerOptions } from './job-worker.ts';
import { type QueueConnection } from './job-options.ts';
import { type EventLogger } from './logger.ts';

/*
 * What a service runs in the background, declared next to its domain code (subgraphs/<name>/src/workers.ts)
 * and hosted either by a worker process (workers/src/main.ts, the production shape) or inside the subgraph's
 * own process (development on the embedded database, which one process owns). The host starts the service's
 * outbox relay, these consumers and job workers, and registers the schedules.
 */

/** What the host hands a service's worker factory. */
export interface WorkerRuntime<Client> {
  /** The service's own Prisma client (its database holds outbox_events and processed_events). */
  prisma: Client;
  queues: QueueConnection;
  logger: EventLogger;
  env: NodeJS.ProcessEnv;
}

/** An event consumer, started by the host with its queue connection and logger. */
export interface ConsumerSpec {
  consumer: string;
  start(queues: QueueConnection, logger: EventLogger): EventConsumer;
}

/** A heavy-job worker on a jobs.<name> queue. */
export interface JobSpec {
  queue: string;
  start(queues: QueueConnection, logger: EventLogger): JobWorker;
}

/** A job added every `everyMs` by BullMQ's job scheduler (one per scheduler id however many hosts run). */
export interface ScheduleSpec {
  queue: string;
  schedulerId: string;
  everyMs: number;
  jobName: string;
  data?: Record<string, unknown>;
}

export interface ServiceWorkers {
  consumers: ConsumerSpec[];
  jobs: JobSpec[];
  schedules: ScheduleSpec[];
  /** Whether the service has an outbox to relay (default true). */
  relay?: boolean;
  /** Releases what the factory opened besides the Prisma client (e.g. an SMTP transport). */
  close?(): Promise<void>;
}

export type ServiceWorkersFactory<Client> = (runtime: WorkerRuntime<Client>) => ServiceWorkers | Promise<ServiceWorkers>;

export function defineConsumer<Tx extends SqlExecutor>(options: Omit<EventConsumerOptions<Tx>, 'queues' | 'logger'>): ConsumerSpec {
  return { consumer: options.consumer, start: (queues, logger) => createEventConsumer({ ...options, queues, logger }) };
}

export function defineJob<Data, Result>(options: Omit<JobWorkerOptions<Data, Result>, 'queues' | 'logger'>): JobSpec {
  return { queue: options.queue, start: (queues, logger) => createJobWorker({ ...options, queues, logger }) };
}
