import { setTimeout as sleep } from 'node:timers/promises';
import { type Processor, Worker, type WorkerOptions } from 'bullmq';
import { DeadLetterQueue, withDeadLetters } from './dead-letters.ts';
import { type QueueConnection } from './job-options.ts';
import { type EventLogger, silentEventLogger } from './logger.ts';
import { bullConnection, QUIT_WAIT_MS, settlesWithin } from './queue-redis.ts';
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
 * How long a closing worker may still take once its last job has finished. Closing waits for the jobs in flight
 * (a SIGTERM hands nothing back half-done), but BullMQ's close then waits on Redis without end when it does not
 * answer: a frozen server never acknowledges QUIT, and after a Redis Cluster failover ioredis may never report a
 * blocking connection ended. Past this, the worker's connections are dropped instead. A completion not yet written
 * to Redis by then makes its job stall and run again (every processor is idempotent).
 */
export const CLOSE_AFTER_IDLE_MS = 5_000;

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
  const inFlight = new InFlight();
  const lockMs = options.queues.workerLockMs;
  const { connection, release } = bullConnection(options.queues);
  const worker = new AbandonableWorker<Data, Result>(options.queue, (job) => inFlight.run(() => guarded.processor(job)), {
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
      const closed = worker.close().then(() => 'closed' as const);
      const done = new AbortController();
      const stuck = inFlight
        .idle()
        .then(() => sleep(CLOSE_AFTER_IDLE_MS, 'stuck' as const, { signal: done.signal }))
        .catch(() => 'closed' as const);
      const outcome = await Promise.race([closed, stuck]);
      done.abort();
      if (outcome === 'stuck') {
        closed.catch(() => undefined);
        logger.warn({ queue: options.queue, waitedMs: CLOSE_AFTER_IDLE_MS }, 'worker still closing after its last job: dropping its Redis connections');
        await worker.abandon();
      }
      await release();
      await deadLetters.close();
    },
  };
}

/** BullMQ's Worker, with a way out of a close that Redis never lets finish. */
class AbandonableWorker<Data, Result> extends Worker<Data, Result> {
  /**
   * Drops the connections. A close stuck on its first step (waiting for the blocking fetch to end) never reaches
   * the lock manager, whose renewal timer would then re-arm itself for good and keep the process alive.
   */
  async abandon(): Promise<void> {
    await this.lockManager.close();
    await settlesWithin(this.disconnect(), QUIT_WAIT_MS);
  }
}

/** Counts the jobs a worker is running, so closing can tell waiting for a job from waiting on Redis. */
class InFlight {
  #running = 0;
  #waiters: Array<() => void> = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#running += 1;
    try {
      return await work();
    } finally {
      this.#running -= 1;
      if (this.#running === 0) for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  idle(): Promise<void> {
    return this.#running === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}
