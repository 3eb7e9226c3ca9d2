import { type Job, type JobsOptions, Queue } from 'bullmq';
import { DEAD_LETTER_JOB_OPTIONS, EVENT_JOB_OPTIONS, type QueueConnection } from './job-options.ts';
import { consumerQueueName } from './routing.ts';

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

  /** The dead letters of an event consumer's queue. */
  static ofConsumer(consumer: string, queues: QueueConnection): DeadLetterQueue {
    return new DeadLetterQueue(consumerQueueName(consumer), queues);
  }

  constructor(queue: string, queues: QueueConnection) {
    this.queue = queue;
    this.#connection = queues;
    this.#deadLetters = new Queue<DeadLetterData>(deadLetterQueueOf(queue), { connection: queues.connection, prefix: queues.prefix });
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
    // Nothing processes this queue: jobs wait in it until requeued or discarded.
    await this.#deadLetters.add(job.name, data, { ...DEAD_LETTER_JOB_OPTIONS, jobId: job.id });
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
    this.#workQueue ??= new Queue(this.queue, { connection: this.#connection.connection, prefix: this.#connection.prefix });
    return this.#workQueue;
  }

  async close(): Promise<void> {
    await Promise.all([this.#deadLetters.close(), this.#workQueue?.close()]);
  }
}

function toDeadLetter(job: Job<DeadLetterData>): DeadLetter {
  return { id: String(job.id), ...job.data };
}
