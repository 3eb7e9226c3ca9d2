/*
 * Fixtures of the dead-letter tools' tests (this subgraph and `npm run dlq`): a unique BullMQ prefix on the
 * local Redis, wiped afterwards, and dead letters recorded exactly as the workers record them.
 */
import { randomUUID } from 'node:crypto';
import { DeadLetterQueue, type QueueConnection } from '@storefront/events';
import { Redis } from 'ioredis';

const REDIS = { host: process.env.TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.TEST_REDIS_PORT ?? 6379), maxRetriesPerRequest: null } as const;

export interface TestQueues {
  queues: QueueConnection;
  /** Records a dead letter for `queue` as a worker that gave up the job would. */
  deadLetter(queue: string, job: { id: string; name: string; data: unknown }, error?: Error, options?: { unrecoverable?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export function startTestQueues(label: string): TestQueues {
  const queues: QueueConnection = { connection: { ...REDIS }, prefix: `test-${label}:${randomUUID()}` };
  const recorders = new Map<string, DeadLetterQueue>();
  return {
    queues,
    async deadLetter(queue, job, error = new Error('handler failed'), options = {}) {
      let recorder = recorders.get(queue);
      if (!recorder) {
        recorder = new DeadLetterQueue(queue, queues);
        recorders.set(queue, recorder);
      }
      await recorder.record({ ...job, opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } } }, error, options.unrecoverable ? 1 : 3, options.unrecoverable ?? false);
    },
    async close() {
      await Promise.all([...recorders.values()].map((recorder) => recorder.close()));
      await deleteKeys(`${queues.prefix}:*`);
    },
  };
}

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis({ host: REDIS.host, port: REDIS.port });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
