import { type Processor, Worker, type WorkerOptions } from 'bullmq';
import { DeadLetterQueue, withDeadLetters } from './dead-letters.ts';
import { type QueueConnection } from './job-options.ts';
import { type EventLogger, silentEventLogger } from './logger.ts';
import { bullConnection } from './queue-redis.ts';
import { queueTelemetry } from './tracing.ts';

export interface JobWorkerOptions<Data, Result> {
  /** The work queue (jobs.<name>). */
  queue: string;
  processor: Processor<Data, Result>;
  queues: QueueConnection;
  concurrency?: number;
  workerOptions?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
  logger?: EventLogger;
}

export interface JobWorker {
  readonly worker: Worker;
  readonly deadLetters: DeadLetterQueue;
  close(): Promise<void>;
}

/**
 * How many times a job whose worker vanished (killed, or too busy to renew its lock) is handed to another before
 * BullMQ gives it up as "stalled more than allowable limit". BullMQ's default of 1 dead-letters a job when two
 * workers die on it in a row — a rolling restart or a node loss under load — although no attempt of it failed;
 * every processor here is idempotent, so running it again is safe. A job that kills every worker it reaches
 * still ends in the dead-letter queue, after this many.
 */
export const STALLED_REDELIVERIES = 3;

/**
 * A BullMQ worker for a heavy job (invoice, report, import) whose given-up jobs are copied to the queue's
 * dead-letter queue, like event consumers': one place where an operator finds everything that needs a person.
 * The processor owns its idempotency (jobs are de-duplicated by jobId when added, but a worker that dies
 * mid-job hands the job to another, which runs it again).
 */
export function createJobWorker<Data, Result>(options: JobWorkerOptions<Data, Result>): JobWorker {
  const logger = options.logger ?? silentEventLogger;
  const deadLetters = new DeadLetterQueue(options.queue, options.queues);
  const guarded = withDeadLetters(options.processor, deadLetters, logger);
  const lockMs = options.queues.workerLockMs;
  const { connection, release } = bullConnection(options.queues);
  const worker = new Worker<Data, Result>(options.queue, guarded.processor, {
    maxStalledCount: STALLED_REDELIVERIES,
    ...(lockMs ? { lockDuration: lockMs, stalledInterval: lockMs } : {}),
    ...options.workerOptions,
    connection,
    prefix: options.queues.prefix,
    ...queueTelemetry(),
    concurrency: options.concurrency ?? 1,
  });
  guarded.watch(worker);
  return {
    worker,
    deadLetters,
    async close() {
      await worker.close();
      await release();
      await deadLetters.close();
    },
  };
}
