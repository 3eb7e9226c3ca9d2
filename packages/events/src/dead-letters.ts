import { type Job, Queue } from 'bullmq';
import { DEAD_LETTER_JOB_OPTIONS, EVENT_JOB_OPTIONS, type QueueConnection } from './job-options.ts';
import { consumerQueueName, deadLetterQueueName } from './routing.ts';

/**
 * A job that cannot succeed: its retries are exhausted, or it failed with an UnrecoverableError (a broken
 * contract, a missing handler). BullMQ keeps failed jobs only for removeOnFail's window and mixes them with
 * the queue's history; the dead-letter queue keeps each one until a person requeues or discards it, with the
 * original job data (the event as received, even when invalid) and the error.
 */
export interface DeadLetter {
  /** The dead letter's id: the original job's id (the event id). */
  id: string;
  consumer: string;
  /** The original job's name (the event type as published). */
  jobName: string;
  /** The original job data, as received. */
  event: unknown;
  error: { name: string; message: string; stack: string | null };
  /** Attempts made before the job was given up, this one included. */
  attemptsMade: number;
  unrecoverable: boolean;
  failedAt: string;
}

type DeadLetterData = Omit<DeadLetter, 'id'>;

/** The dead letters of one consumer: record (used by the worker), list, inspect, requeue, discard. */
export class DeadLetterQueue {
  readonly consumer: string;
  readonly #connection: QueueConnection;
  readonly #deadLetters: Queue<DeadLetterData>;
  #consumerQueue: Queue | undefined;

  constructor(consumer: string, queues: QueueConnection) {
    this.consumer = consumer;
    this.#connection = queues;
    this.#deadLetters = new Queue<DeadLetterData>(deadLetterQueueName(consumer), { connection: queues.connection, prefix: queues.prefix });
  }

  /** Copies a failed job here. Its id is the job's id, so recording the same failure twice keeps one copy. */
  async record(job: Pick<Job, 'id' | 'name' | 'data'>, error: Error, attemptsMade: number, unrecoverable: boolean): Promise<void> {
    const data: DeadLetterData = {
      consumer: this.consumer,
      jobName: job.name,
      event: job.data,
      error: { name: error.name, message: error.message, stack: error.stack ?? null },
      attemptsMade,
      unrecoverable,
      failedAt: new Date().toISOString(),
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
   * Puts a dead letter back on the consumer's queue as a fresh job (full attempts) and removes it from here.
   * `event` replaces the original data, for an operator who corrected an invalid event. The consumer's
   * failed copy is removed first because its jobId (the event id) would make BullMQ ignore the new job.
   * Returns false when there is no such dead letter.
   */
  async requeue(id: string, options: { event?: unknown } = {}): Promise<boolean> {
    const deadLetter = (await this.#deadLetters.getJob(id)) as Job<DeadLetterData> | undefined;
    if (!deadLetter) return false;
    const queue = this.#queue();
    const original = await queue.getJob(id);
    if (original) await original.remove();
    await queue.add(deadLetter.data.jobName, options.event ?? deadLetter.data.event, { ...EVENT_JOB_OPTIONS, jobId: id });
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
    this.#consumerQueue ??= new Queue(consumerQueueName(this.consumer), { connection: this.#connection.connection, prefix: this.#connection.prefix });
    return this.#consumerQueue;
  }

  async close(): Promise<void> {
    await Promise.all([this.#deadLetters.close(), this.#consumerQueue?.close()]);
  }
}

function toDeadLetter(job: Job<DeadLetterData>): DeadLetter {
  return { id: String(job.id), ...job.data };
}
