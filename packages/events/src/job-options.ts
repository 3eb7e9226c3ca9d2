import { type DefaultJobOptions, type JobsOptions, Queue } from 'bullmq';
import type { RedisClusterNode } from '@storefront/config';
import { bullConnection, QUIT_WAIT_MS, settlesWithin } from './queue-redis.ts';
import { queueTelemetry } from './tracing.ts';

/** How BullMQ reaches Redis. Workers need maxRetriesPerRequest: null (blocking commands must not time out). */
export interface RedisConnection {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
  [option: string]: unknown;
}

/** Where the queues live: Redis plus the key prefix (tests use a unique one per run). */
export interface QueueConnection {
  connection: RedisConnection;
  /**
   * A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES), instead of the single Redis in `connection`, whose
   * options (auth, TLS, retries) then apply to every node. The prefix must then be hash-tagged (`{storefront}`),
   * so that each queue's keys share a slot, as BullMQ's Lua scripts require; queueConnectionFromEnv does that.
   */
  cluster?: RedisClusterNode[];
  /** BullMQ's key prefix; defaults to "bull". */
  prefix?: string;
  /**
   * A running job's lock (WORKER_LOCK_MS; BullMQ's lockDuration, renewed at half of it): how long the jobs of a
   * worker that died wait before another takes them over (stalled jobs are looked for as often). Default 30 s.
   */
  workerLockMs?: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Options of every event job the relay adds.
 * - attempts + exponential backoff (1 s, 2 s, 4 s, …): transient failures (a deadlock, a restarting
 *   database) heal without a person; permanent ones throw UnrecoverableError and skip the retries.
 * - removeOnComplete keeps a day of completed jobs (capped in count): while a job exists, re-adding its
 *   jobId (= event id) is a no-op, so this window is where BullMQ itself absorbs a relay's republish.
 *   Outside it, processed_events still makes the consumer idempotent.
 * - removeOnFail keeps failed jobs a week: the dead-letter queue holds a copy, this is the original's
 *   history (stack traces, attempts) for whoever investigates.
 */
export const EVENT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: DAY_SECONDS, count: 100_000 },
  removeOnFail: { age: 7 * DAY_SECONDS },
} as const satisfies DefaultJobOptions;

/** Dead letters wait for a person: never removed automatically. */
export const DEAD_LETTER_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: false,
  removeOnFail: false,
} as const satisfies DefaultJobOptions;

/**
 * Options of a heavy job (invoice, report, import, e-mail): `attempts` with exponential backoff from
 * `backoffMs` for transient failures (UnrecoverableError skips them); finished jobs kept a day — while one is
 * kept, adding its jobId again is a no-op, past that the processor's own idempotency holds — and failed jobs a
 * week for whoever investigates (the dead-letter queue has the copy that waits for a person).
 */
export function heavyJobOptions({ attempts, backoffMs }: { attempts: number; backoffMs: number }): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: DAY_SECONDS, count: 10_000 },
    removeOnFail: { age: 7 * DAY_SECONDS },
  };
}

/**
 * A queue handle for producing or reading (not a worker). Its connection errors are not logged here: while Redis
 * is away every handle would report each reconnect, and the workers' own error listeners already say it
 * (throttled); the handle's commands fail or wait on their own. Closing it waits on Redis at most QUIT_WAIT_MS,
 * then drops the connection.
 */
export function openQueue<Data = unknown>(name: string, queues: QueueConnection): Queue<Data> {
  const { connection, release } = bullConnection(queues);
  const queue = new Queue<Data>(name, { connection, prefix: queues.prefix, ...queueTelemetry() });
  queue.on('error', () => {});
  const close = queue.close.bind(queue);
  queue.close = async () => {
    // Not awaited: BullMQ's disconnect first waits for a connection still connecting to be ready.
    if (!(await settlesWithin(close(), QUIT_WAIT_MS))) void queue.disconnect().catch(() => undefined);
    // BullMQ leaves a cluster client it was handed open; this queue owns its own.
    await release();
  };
  return queue;
}
