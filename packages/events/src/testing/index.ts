/*
 * Queue fixtures for tests of anything on BullMQ (`@storefront/events/testing`): the local Redis
 * (TEST_REDIS_HOST / TEST_REDIS_PORT) or, with TEST_REDIS_CLUSTER_NODES set (`npm run test:redis-cluster` sets
 * it), a Redis Cluster; a queue connection under a prefix of its own per test file; and the removal of every
 * key under that prefix afterwards, so runs never see each other's jobs.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { envRedisClusterNodes } from '@storefront/config';
import { type QueueConnection } from '../job-options.ts';
import { openQueueRedis } from '../queue-redis.ts';

export const TEST_REDIS = {
  host: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_REDIS_PORT ?? 6379),
  maxRetriesPerRequest: null,
} as const;

/** The cluster the fixtures use instead of TEST_REDIS, when TEST_REDIS_CLUSTER_NODES names one. */
const TEST_CLUSTER = envRedisClusterNodes.parse(process.env.TEST_REDIS_CLUSTER_NODES);

/** Where the fixtures' queues live, without a prefix: TEST_REDIS, or the cluster of TEST_REDIS_CLUSTER_NODES. */
export function testQueueTarget(): Pick<QueueConnection, 'connection' | 'cluster'> {
  return { connection: { ...TEST_REDIS }, ...(TEST_CLUSTER ? { cluster: TEST_CLUSTER } : {}) };
}

/**
 * A queue connection under a fresh prefix `test-<label>:<uuid>`; on a cluster the prefix is hash-tagged, as
 * queueConnectionFromEnv tags a deployment's, so each queue's keys share a slot.
 */
export function testQueueConnection(label: string): QueueConnection & { prefix: string } {
  const prefix = `test-${label}:${randomUUID()}`;
  return { ...testQueueTarget(), prefix: TEST_CLUSTER ? `{${prefix}}` : prefix };
}

/** Removes every key under `prefix` (queues, jobs, dead letters), whatever state they are in, on every master. */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = openQueueRedis(testQueueTarget(), { maxRetriesPerRequest: 3 });
  try {
    if ('nodes' in redis && redis.status !== 'ready') await once(redis, 'ready');
    const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        // One slot per prefix on a cluster (it is hash-tagged), so one DEL holds; through the cluster client, which
        // routes it to the slot's master.
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
