import type { RedisClusterNode } from '@storefront/config';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { QueueConnection } from './job-options.ts';

/**
 * The one place that turns Redis settings into ioredis clients, a single Redis or a Redis Cluster
 * (QueueConnection.cluster, from REDIS_CLUSTER_NODES), so no caller branches on which it is: the queues and
 * workers, the queue admin, accounts' login throttle and (handed in as RedisTopics.connect) the change feeds.
 */

/** Where an ioredis client connects: the single Redis's options, or those applied to every node of `cluster`. */
export interface IoredisTarget {
  connection: RedisOptions;
  cluster?: readonly RedisClusterNode[] | undefined;
}

/** A new ioredis client for the queues' Redis (or any IoredisTarget); `overrides` tune it (e.g. fail fast for a probe). */
export function openQueueRedis(queues: IoredisTarget, overrides: RedisOptions = {}): Redis | Cluster {
  const options: RedisOptions = { ...queues.connection, ...overrides };
  if (!queues.cluster) return new Redis(options);
  const { host: _host, port: _port, enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
  // Every node gets the same auth/TLS/retry options; the client follows MOVED/ASK and refreshes its slot map on
  // a failover by itself, retrying meanwhile (commands wait while the cluster is down, as a single Redis's would).
  return new Cluster([...queues.cluster], {
    redisOptions: nodeOptions,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    // A failover takes the cluster's node timeout plus an election: keep trying through it.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    clusterRetryStrategy: (attempts) => Math.min(100 * 2 ** attempts, 2_000),
  });
}

/**
 * How long closing a client (a queue handle's, a cluster client's, a probe's) waits for Redis to acknowledge QUIT
 * before it drops the sockets: a frozen Redis, or a node that died in a failover and is still in the pool of a
 * client that has not refreshed its slots since, never answers, and a shutdown must not wait on it.
 */
export const QUIT_WAIT_MS = 1_000;

/** Whether `closing` settled within `ms` (a rejection counts: the close is over either way). */
export async function settlesWithin(closing: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = closing.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT, or the sockets dropped if Redis has not answered it within QUIT_WAIT_MS. */
export async function quitOrDrop(client: Redis | Cluster): Promise<void> {
  if (!(await settlesWithin(client.quit(), QUIT_WAIT_MS))) client.disconnect();
}

/**
 * What BullMQ's `connection` is given, and what to do after the Queue or Worker closed. With a single Redis BullMQ
 * makes (and closes) its own clients from the options; a Cluster it must be handed as a client, which BullMQ
 * treats as shared and never closes, hence `release`. (A worker duplicates it for its blocking connection.)
 */
export function bullConnection(queues: QueueConnection): { connection: ConnectionOptions; release(): Promise<void> } {
  if (!queues.cluster) return { connection: queues.connection, release: async () => {} };
  const cluster = openQueueRedis(queues) as Cluster;
  return { connection: cluster, release: () => quitOrDrop(cluster) };
}
