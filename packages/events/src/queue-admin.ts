/*
 * The operator's view of every queue of the store: counts, dead letters, requeue and discard. Shared by the
 * operations subgraph (GraphQL), the router's bull-board dashboard and `npm run dlq`, so none of them imports
 * another's code.
 */
import { withDeadline } from '@storefront/http-host';
import type { Queue } from 'bullmq';
import { Cluster, type Redis } from 'ioredis';
import { DeadLetterQueue, type DeadLetter } from './dead-letters.ts';
import { openQueue, type QueueConnection } from './job-options.ts';
import { openQueueRedis } from './queue-redis.ts';
import { consumerQueueName } from './routing.ts';
import { JOB_QUEUES, STORE_SUBSCRIPTIONS } from './subscriptions.ts';

/** Job counts of one work queue, and how many of its jobs wait as dead letters. */
export interface QueueStats {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  deadLetters: number;
}

/** A page of dead letters; positions count across the concatenation of the listed queues' dead letters. */
export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  /** Position of the first one returned. */
  offset: number;
  hasMore: boolean;
}

/** A queue name that is neither declared nor present in Redis. */
export class UnknownQueueError extends Error {
  constructor(readonly queue: string) {
    super(`No queue named "${queue}"`);
    this.name = 'UnknownQueueError';
  }
}

const DEAD_LETTER_SUFFIX = '.dead-letter';

/** The queues the code base declares: every consumer's events.<consumer> and every heavy-job queue. */
export function declaredQueues(): string[] {
  return [...Object.keys(STORE_SUBSCRIPTIONS).map(consumerQueueName), ...JOB_QUEUES];
}

/**
 * Reads and repairs the background work of one Redis + prefix: queue counts and dead letters. Queues are the
 * declared ones plus any other found in Redis (`<prefix>:<queue>:meta`, e.g. a queue of a newer worker
 * release), so an operator sees every dead letter. Only those names are accepted: a typo must answer "no such
 * queue", not create an empty one. BullMQ handles are opened on first use and kept until close().
 */
export interface QueueAdminOptions {
  /**
   * The longest any one method may wait for Redis; later it throws DeadlineExceededError (the work may still
   * finish when Redis answers). BullMQ and ioredis wait for a Redis that is away or frozen indefinitely, which
   * a GraphQL request must not. Default: no deadline (the dead-letter command line waits as long as it takes).
   */
  deadlineMs?: number;
}

export class QueueAdmin {
  readonly #queues: QueueConnection;
  readonly #prefix: string;
  readonly #deadlineMs: number | undefined;
  readonly #workQueues = new Map<string, Queue>();
  readonly #deadLetterQueues = new Map<string, DeadLetterQueue>();
  #redis: Redis | Cluster | undefined;

  constructor(queues: QueueConnection, options: QueueAdminOptions = {}) {
    this.#queues = queues;
    // BullMQ's own default, so names found in Redis match the keys BullMQ writes.
    this.#prefix = queues.prefix ?? 'bull';
    this.#deadlineMs = options.deadlineMs;
  }

  #within<T>(what: string, work: () => Promise<T>): Promise<T> {
    return this.#deadlineMs === undefined ? work() : withDeadline(work(), this.#deadlineMs, `redis (${what})`);
  }

  /** Every work queue, declared or found in Redis, sorted by name (dead-letter queues are not listed). */
  queueNames(): Promise<string[]> {
    return this.#within('queue names', () => this.#queueNames());
  }

  async #queueNames(): Promise<string[]> {
    const found = await this.#discoveredQueues();
    return [...new Set([...declaredQueues(), ...found])].sort();
  }

  hasQueue(queue: string): Promise<boolean> {
    return this.#within('queue names', () => this.#hasQueue(queue));
  }

  async #hasQueue(queue: string): Promise<boolean> {
    return declaredQueues().includes(queue) || (await this.#discoveredQueues()).includes(queue);
  }

  stats(): Promise<QueueStats[]> {
    return this.#within('queue counts', () => this.#stats());
  }

  async #stats(): Promise<QueueStats[]> {
    return Promise.all(
      (await this.#queueNames()).map(async (name) => {
        const [counts, deadLetters] = await Promise.all([
          this.#workQueue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
          this.#deadLetterQueue(name).count(),
        ]);
        return {
          name,
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          completed: counts.completed ?? 0,
          deadLetters,
        };
      }),
    );
  }

  /**
   * Up to `limit` dead letters from `offset`, of one queue or (queue undefined) of every queue in name order,
   * each queue's oldest first. Positions shift when dead letters are requeued or discarded meanwhile: fine
   * for an operator paging through a short list, and no dead letter is ever hidden by it for long.
   */
  deadLetters(options: { queue?: string; offset: number; limit: number }): Promise<DeadLetterPage> {
    return this.#within('dead letters', () => this.#deadLetters(options));
  }

  async #deadLetters(options: { queue?: string; offset: number; limit: number }): Promise<DeadLetterPage> {
    const names = options.queue === undefined ? await this.#queueNames() : [await this.#known(options.queue)];
    const deadLetters: DeadLetter[] = [];
    let skip = options.offset;
    for (const name of names) {
      const dlq = this.#deadLetterQueue(name);
      const count = await dlq.count();
      if (skip >= count) {
        skip -= count;
        continue;
      }
      if (deadLetters.length === options.limit) return { deadLetters, offset: options.offset, hasMore: true };
      const take = Math.min(count - skip, options.limit - deadLetters.length);
      deadLetters.push(...(await dlq.list(skip, skip + take - 1)));
      if (skip + take < count) return { deadLetters, offset: options.offset, hasMore: true };
      skip = 0;
    }
    return { deadLetters, offset: options.offset, hasMore: false };
  }

  deadLetter(queue: string, id: string): Promise<DeadLetter | undefined> {
    return this.#within('dead letter', async () => this.#deadLetterQueue(await this.#known(queue)).get(id));
  }

  /**
   * Puts the dead letter back on its queue; answers what it was, or undefined when there is none. Past the
   * deadline it may still happen when Redis answers: asking again then finds no such dead letter.
   */
  requeue(queue: string, id: string): Promise<DeadLetter | undefined> {
    return this.#within('requeue', async () => {
      const dlq = this.#deadLetterQueue(await this.#known(queue));
      const deadLetter = await dlq.get(id);
      if (!deadLetter) return undefined;
      return (await dlq.requeue(id)) ? deadLetter : undefined;
    });
  }

  /** Deletes the dead letter; answers what it was, or undefined when there is none. Past the deadline, as requeue. */
  discard(queue: string, id: string): Promise<DeadLetter | undefined> {
    return this.#within('discard', async () => {
      const dlq = this.#deadLetterQueue(await this.#known(queue));
      const deadLetter = await dlq.get(id);
      if (!deadLetter) return undefined;
      return (await dlq.discard(id)) ? deadLetter : undefined;
    });
  }

  /** Answers when Redis does (readiness), or fails within the deadline. */
  async ping(): Promise<void> {
    await this.#within('ping', () => this.#client().ping());
  }

  /** Closes every handle; with a deadline, one whose Redis does not answer in time is left to the process's exit. */
  async close(): Promise<void> {
    const closing = Promise.all([
      ...[...this.#workQueues.values()].map((queue) => queue.close()),
      ...[...this.#deadLetterQueues.values()].map((dlq) => dlq.close()),
    ]);
    await this.#within('close', () => closing).catch(() => {
      for (const queue of this.#workQueues.values()) void queue.disconnect().catch(() => undefined);
    });
    this.#redis?.disconnect();
  }

  async #discoveredQueues(): Promise<string[]> {
    const redis = this.#client();
    const head = `${this.#prefix}:`;
    const names = new Set<string>();
    // SCAN walks one node's keys. On a cluster the hash-tagged prefix puts every queue on one master, but which
    // one changes with failovers and resharding: every master is asked.
    // The cluster's node list is empty until it has loaded the slot map; a PING waits for that (offline queue).
    if (redis instanceof Cluster && redis.status !== 'ready') await redis.ping();
    const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${escapeGlob(head)}*:meta`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const name = key.slice(head.length, -':meta'.length);
          // BullMQ queue names have no ':', so anything else under the prefix is not a queue's meta key.
          if (name && !name.includes(':')) names.add(name.endsWith(DEAD_LETTER_SUFFIX) ? name.slice(0, -DEAD_LETTER_SUFFIX.length) : name);
        }
      } while (cursor !== '0');
    }
    return [...names];
  }

  async #known(queue: string): Promise<string> {
    if (!(await this.#hasQueue(queue))) throw new UnknownQueueError(queue);
    return queue;
  }

  #client(): Redis | Cluster {
    // A plain client for SCAN and PING; BullMQ's handles keep their own connections. Unlike theirs, its
    // commands fail when Redis is away instead of waiting for it, so /ready answers 503 rather than hanging.
    this.#redis ??= openQueueRedis(this.#queues, { maxRetriesPerRequest: 1 });
    return this.#redis;
  }

  #workQueue(name: string): Queue {
    let queue = this.#workQueues.get(name);
    if (!queue) {
      // openQueue: a single Redis or the cluster, whichever the connection names.
      queue = openQueue(name, this.#queues);
      this.#workQueues.set(name, queue);
    }
    return queue;
  }

  #deadLetterQueue(name: string): DeadLetterQueue {
    let dlq = this.#deadLetterQueues.get(name);
    if (!dlq) {
      dlq = new DeadLetterQueue(name, this.#queues);
      this.#deadLetterQueues.set(name, dlq);
    }
    return dlq;
  }
}

/** Redis MATCH patterns treat * ? [ ] \ specially; a prefix is matched literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
