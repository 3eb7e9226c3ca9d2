import { envRedisClusterNodes, type RedisClusterNode } from '@storefront/config';
import { createClient, createCluster } from 'redis';

/*
 * The Redis the router's tests give their caches and rate limits: the shared local one, or the cluster named by
 * TEST_REDIS_CLUSTER_NODES when `npm run test:redis-cluster` runs them on one, plus the two things those tests do
 * to Redis themselves (publish an invalidation, remove their keys) on whichever it is.
 */

const TEST_CLUSTER = envRedisClusterNodes.parse(process.env.TEST_REDIS_CLUSTER_NODES);
const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** For a CacheConfig or a rate limit's settings. */
export const TEST_ROUTER_REDIS: { redisUrl: string; redisClusterNodes?: RedisClusterNode[] } = {
  redisUrl: TEST_REDIS_URL,
  ...(TEST_CLUSTER ? { redisClusterNodes: TEST_CLUSTER } : {}),
};

/** A Redis nothing listens on, cluster or not. */
export const UNREACHABLE_REDIS = { redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: undefined };

async function withClient<T>(work: (client: { publish(channel: string, message: string): Promise<number>; scan(prefix: string): AsyncIterable<string[]>; del(keys: string[]): Promise<number> }) => Promise<T>): Promise<T> {
  if (!TEST_CLUSTER) {
    const client = createClient({ url: TEST_REDIS_URL });
    await client.connect();
    try {
      return await work({
        publish: (channel, message) => client.publish(channel, message),
        scan: (prefix) => client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }),
        del: (keys) => client.del(keys),
      });
    } finally {
      client.destroy();
    }
  }
  const cluster = createCluster({ rootNodes: TEST_CLUSTER.map(({ host, port }) => ({ socket: { host, port } })) });
  cluster.on('error', () => undefined);
  await cluster.connect();
  try {
    return await work({
      // The router listens on the sharded channel of a cluster (SSUBSCRIBE).
      publish: (channel, message) => cluster.sPublish(channel, message),
      async *scan(prefix) {
        for (const master of cluster.masters) {
          const node = await cluster.nodeClient(master);
          yield* node.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 });
        }
      },
      // Keys of different slots: one DEL each.
      del: async (keys) => (await Promise.all(keys.map((key) => cluster.del(key)))).reduce((sum, n) => sum + n, 0),
    });
  } finally {
    cluster.destroy();
  }
}

/** PUBLISH (SPUBLISH on a cluster) `message` on `channel`; how many subscribers got it. */
export function publishTestMessage(channel: string, message: string): Promise<number> {
  return withClient((client) => client.publish(channel, message));
}

/** Removes every key that starts with `prefix`, on every master. */
export async function deleteTestKeys(prefix: string): Promise<void> {
  await withClient(async (client) => {
    for await (const keys of client.scan(prefix)) if (keys.length) await client.del(keys);
  });
}
