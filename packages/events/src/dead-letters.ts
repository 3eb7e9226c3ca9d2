import { type Job, type JobsOptions, type Queue, UnrecoverableError, type Worker } from 'bullmq';
import { errorMessage, type EventLogger } from './logger.ts';
import { withDeadline } from '@storefront/http-host';
import { ENQUEUE_DEADLINE_MS } from './queue-handles.ts';
import { DEAD_LETTER_JOB_OPTIONS, EVENT_JOB_OPTIONS, openQueue, type QueueConnection } from './job-options.ts';

/**
 * A job that cannot succeed: its retries are exhausted, or it failed with an UnrecoverableError (a broken
 * contract, a missing handler). BullMQ keeps failed jobs only for removeOnFail's window and mixes them with
 * the queue's history; the dead-letter queue keeps each one until a person requeues or discards it, with the
 * original job data (the event as received, even when invalid) and the error.
 */
export interface DeadLetter {
  /** The dead letter's id: the original job's id (the event id for events). */
  id: string;
  /** The queue the job failed in (events.<consumer> or jobs.<name>). */
  queue: string;
  /** The original job's name (the event type as published). */
  jobName: string;
  /** The original job data, as received. */
  event: unknown;
  error: { name: string; message: string; stack: string | null };
  /** Attempts made before the job was given up, this one included. */
  attemptsMade: number;
  unrecoverable: boolean;
  failedAt: string;
  /** The original job's attempts and backoff, restored on requeue. */
  jobOptions: { attempts?: number; backoff?: unknown };
}

type DeadLetterData = Omit<DeadLetter, 'id'>;

/** The dead-letter queue of a work queue: `<queue>.dead-letter`. */
export const deadLetterQueueOf = (queue: string): string => `${queue}.dead-letter`;

/**
 * The dead letters of one queue (an event consumer's or a heavy job's): record (used by the workers), list,
 * inspect, requeue, discard.
 */
export class DeadLetterQueue {
  /** The work queue whose dead letters these are. */
  readonly queue: string;
  readonly #connection: QueueConnection;
  readonly #deadLetters: Queue<DeadLetterData>;
  #workQueue: Queue | undefined;

  constructor(queue: string, queues: QueueConnection) {
    this.queue = queue;
    this.#connection = queues;
    this.#deadLetters = openQueue<DeadLetterData>(deadLetterQueueOf(queue), queues);
  }

  /** Copies a failed job here. Its id is the job's id, so recording the same failure twice keeps one copy. */
  async record(job: Pick<Job, 'id' | 'name' | 'data' | 'opts'>, error: Error, attemptsMade: number, unrecoverable: boolean): Promise<void> {
    const data: DeadLetterData = {
      queue: this.queue,
      jobName: job.name,
      event: job.data,
      error: { name: error.name, message: error.message, stack: error.stack ?? null },
      attemptsMade,
      unrecoverable,
      failedAt: new Date().toISOString(),
      jobOptions: { attempts: job.opts?.attempts, backoff: job.opts?.backoff },
    };
    // Nothing processes this queue: jobs wait in it until requeued or discarded. Recorded from inside a job's
    // processor, so never waited on without end (see QueueHandles).
    await withDeadline(this.#deadLetters.add(job.name, data, { ...DEAD_LETTER_JOB_OPTIONS, jobId: job.id }), ENQUEUE_DEADLINE_MS, `queue ${deadLetterQueueOf(this.queue)}`);
  }

  /** Dead letters, oldest first. */
  async list(start = 0, end = 99): Promise<DeadLetter[]> {
    const jobs = await this.#deadLetters.getJobs(['waiting'], start, end, true);
    return jobs.map((job) => toDeadLetter(job as Job<DeadLetterData>));
  }

  async count(): Promise<number> {
    return this.#deadLetters.getWaitingCount();
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const job = (await this.#deadLetters.getJob(id)) as Job<DeadLetterData> | undefined;
    return job ? toDeadLetter(job) : undefined;
  }

  /**
   * Puts a dead letter back on its work queue as a fresh job (full attempts) and removes it from here.
   * `event` replaces the original data, for an operator who corrected an invalid event. The work queue's
   * failed copy is removed first because its jobId (the event id) would make BullMQ ignore the new job.
   * Returns false when there is no such dead letter.
   */
  async requeue(id: string, options: { event?: unknown } = {}): Promise<boolean> {
    const deadLetter = (await this.#deadLetters.getJob(id)) as Job<DeadLetterData> | undefined;
    if (!deadLetter) return false;
    const queue = this.#queue();
    const original = await queue.getJob(id);
    if (original) await original.remove();
    const { attempts, backoff } = deadLetter.data.jobOptions ?? {};
    const retry = attempts ? { attempts, backoff: backoff as JobsOptions['backoff'] } : {};
    await queue.add(deadLetter.data.jobName, options.event ?? deadLetter.data.event, { ...EVENT_JOB_OPTIONS, ...retry, jobId: id });
    // Removed last: a crash before this leaves a dead letter that was also requeued, never a lost one.
    await deadLetter.remove();
    return true;
  }

  /** Deletes a dead letter for good (the event is not to be applied). */
  async discard(id: string): Promise<boolean> {
    const job = await this.#deadLetters.getJob(id);
    if (!job) return false;
    await job.remove();
    return true;
  }

  #queue(): Queue {
    this.#workQueue ??= openQueue(this.queue, this.#connection);
    return this.#workQueue;
  }

  async close(): Promise<void> {
    await Promise.all([this.#deadLetters.close(), this.#workQueue?.close()]);
  }
}

function toDeadLetter(job: Job<DeadLetterData>): DeadLetter {
  return { id: String(job.id), ...job.data };
}

/** A failure retrying cannot fix: BullMQ's UnrecoverableError or a subclass (EventContractError). */
const isUnrecoverable = (error: Error): boolean => error instanceof UnrecoverableError || error.name === 'UnrecoverableError';

/** Whether BullMQ is giving the job up: no attempt left, a failure retrying cannot fix, or stalled too often. */
export function isGivenUp(job: Pick<Job, 'attemptsMade' | 'opts'>, error: Error, attemptsMade = job.attemptsMade): boolean {
  return attemptsMade >= (job.opts.attempts ?? 1) || isUnrecoverable(error) || /stalled/i.test(error.message);
}

/**
 * Wraps a processor so that a job it is about to give up (unrecoverable, or its last attempt) is copied to the
 * dead-letter queue before BullMQ marks it failed — no given-up job can be missing from there — and watches the
 * worker for the jobs BullMQ fails without calling the processor (a job whose workers keep dying, "stalled
 * more than allowable limit"). record() is idempotent per job id, so a job seen by both keeps one copy.
 */
export function withDeadLetters<Data, Result>(
  processor: (job: Job<Data>) => Promise<Result>,
  deadLetters: DeadLetterQueue,
  logger: EventLogger,
): { processor: (job: Job<Data>) => Promise<Result>; watch(worker: Worker): void } {
  const queue = deadLetters.queue;
  return {
    async processor(job) {
      try {
        return await processor(job);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        const attemptsMade = job.attemptsMade + 1;
        if (isGivenUp(job, failure, attemptsMade)) {
          // Not recorded now (Redis not answering): the worker's 'failed' listener below records it again.
          await deadLetters
            .record(job, failure, attemptsMade, isUnrecoverable(failure))
            .catch((recordError: unknown) => logger.error({ queue, jobId: job.id, err: errorMessage(recordError) }, 'dead letter not recorded yet'));
          logger.error({ queue, jobId: job.id, attemptsMade, err: failure.message }, 'job dead-lettered');
        } else {
          logger.warn({ queue, jobId: job.id, attemptsMade, err: failure.message }, 'job failed, will retry');
        }
        throw failure;
      }
    },
    watch(worker) {
      // Without an 'error' listener (e.g. Redis unreachable) the worker would throw an unhandled EventEmitter error.
      // While Redis is away every reconnect fails: say so once, then at most every 30 s with the count since.
      let lastLogged = 0;
      let suppressed = 0;
      worker.on('error', (error) => {
        if (Date.now() - lastLogged < 30_000) {
          suppressed += 1;
          return;
        }
        logger.error({ queue, err: errorMessage(error), ...(suppressed ? { suppressed } : {}) }, 'worker error');
        lastLogged = Date.now();
        suppressed = 0;
      });
      worker.on('failed', (job, error) => {
        if (!job || !isGivenUp(job, error)) return;
        deadLetters
          .record(job, error, job.attemptsMade, isUnrecoverable(error))
          .catch((recordError: unknown) => logger.error({ queue, jobId: job.id, err: errorMessage(recordError) }, 'dead letter not recorded'));
      });
    },
  };
}
