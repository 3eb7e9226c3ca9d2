import { type Job, type Processor, Worker, type WorkerOptions } from 'bullmq';
import { DeadLetterQueue } from './dead-letters.ts';
import { type QueueConnection } from './job-options.ts';
import { errorMessage, type EventLogger, silentEventLogger } from './logger.ts';

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

/** Whether BullMQ has given the job up: no attempt left, or a failure retrying cannot fix. */
function givenUp(job: Job, error: Error): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError' || /stalled/i.test(error.message);
}

/**
 * A BullMQ worker for a heavy job (invoice, report, import) whose given-up jobs are copied to the queue's
 * dead-letter queue, like event consumers': one place where an operator finds everything that needs a person.
 * The processor owns its idempotency (jobs are de-duplicated by jobId when added, but a worker that dies
 * mid-job hands the job to another, which runs it again).
 */
export function createJobWorker<Data, Result>(options: JobWorkerOptions<Data, Result>): JobWorker {
  const logger = options.logger ?? silentEventLogger;
  const deadLetters = new DeadLetterQueue(options.queue, options.queues);
  const worker = new Worker<Data, Result>(options.queue, options.processor, {
    ...options.workerOptions,
    connection: options.queues.connection,
    prefix: options.queues.prefix,
    concurrency: options.concurrency ?? 1,
  });
  worker.on('error', (error) => logger.error({ queue: options.queue, err: errorMessage(error) }, 'job worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    if (!givenUp(job, error)) {
      logger.warn({ queue: options.queue, jobId: job.id, attemptsMade: job.attemptsMade, err: error.message }, 'job failed, will retry');
      return;
    }
    logger.error({ queue: options.queue, jobId: job.id, attemptsMade: job.attemptsMade, err: error.message }, 'job dead-lettered');
    deadLetters
      .record(job, error, job.attemptsMade, error.name === 'UnrecoverableError')
      .catch((recordError: unknown) => logger.error({ queue: options.queue, jobId: job.id, err: errorMessage(recordError) }, 'dead letter not recorded'));
  });
  return {
    worker,
    deadLetters,
    async close() {
      await worker.close();
      await deadLetters.close();
    },
  };
}
