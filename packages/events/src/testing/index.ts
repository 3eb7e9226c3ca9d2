/*
 * Queue fixtures for tests of anything on BullMQ (`@storefront/events/testing`): the local Redis
 * (TEST_REDIS_HOST / TEST_REDIS_PORT), a queue connection under a prefix of its own per test file, and the
 * removal of every key under that prefix afterwards, so runs never see each other's jobs.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type QueueConnection } from '../job-options.ts';

export const TEST_REDIS = {
  host: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_REDIS_PORT ?? 6379),
  maxRetriesPerRequest: null,
} as const;

/** A connection to the local Redis under a fresh prefix `test-<label>:<uuid>`. */
export function testQueueConnection(label: string): QueueConnection & { prefix: string } {
  return { connection: { ...TEST_REDIS }, prefix: `test-${label}:${randomUUID()}` };
}

/** Removes every key under `prefix` (queues, jobs, dead letters), whatever state they are in. */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
