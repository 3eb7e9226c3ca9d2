import { type JobsOptions, type Queue } from 'bullmq';
import { DeadlineExceededError, withDeadline } from '@storefront/http-host';
import { openQueue, type QueueConnection } from './job-options.ts';

/**
 * How long a background add (a relay's publish, a consumer asking for a job) waits for Redis by default: far
 * above an add's few milliseconds on a loaded machine. Requests use shorter deadlines of their own.
 */
export const ENQUEUE_DEADLINE_MS = 5_000;

/**
 * How long a request (a mutation queueing a heavy job) may wait for Redis to take its job: BullMQ waits without
 * end, and the request would wait with it. Past it the mutation answers SERVICE_UNAVAILABLE; the job may still be
 * added later (Redis thawing with the command in its socket), which its jobId makes harmless.
 */
export const REQUEST_ENQUEUE_DEADLINE_MS = 1_000;

/**
 * Queue handles by name, each opened on first use, for whoever adds jobs: the relay's publisher, a consumer
 * asking for a heavy job, a mutation. An add waits at most its deadline, because BullMQ waits for Redis without
 * end (it queues commands while disconnected, a frozen server never answers, and after a Redis Cluster failover
 * a client can hold a command for the dead master), and whoever adds would wait with it — a relay's batch, a
 * consumer's job, a request. On expiry the handle is dropped (closing it rejects what its connection still
 * holds) and the next add opens a fresh one, which learns the cluster's masters from the seeds again. The job
 * may have been added all the same (the command was sent): harmless, as every add here is idempotent by jobId.
 */
export class QueueHandles {
  readonly #connection: QueueConnection;
  readonly #queues = new Map<string, Queue>();

  constructor(connection: QueueConnection) {
    this.#connection = connection;
  }

  /** Throws DeadlineExceededError after `deadlineMs`, having dropped the handle. */
  async add(queueName: string, jobName: string, data: unknown, options: JobsOptions, deadlineMs = ENQUEUE_DEADLINE_MS): Promise<void> {
    const queue = this.#open(queueName);
    try {
      await withDeadline(queue.add(jobName, data, options), deadlineMs, `queue ${queueName}`);
    } catch (error) {
      if (error instanceof DeadlineExceededError) this.#drop(queueName, queue);
      throw error;
    }
  }

  #open(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = openQueue(name, this.#connection);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #drop(name: string, queue: Queue): void {
    if (this.#queues.get(name) === queue) this.#queues.delete(name);
    void queue.close().catch(() => undefined);
  }

  /** Closes every handle (each waits on Redis at most QUIT_WAIT_MS: see openQueue). */
  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
  }
}
