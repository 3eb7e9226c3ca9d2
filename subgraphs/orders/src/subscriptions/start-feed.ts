import { NotifyToRedisBridge, TopicHub, type RedisTopics } from '@storefront/subscriptions';
import { openQueueRedis, type IoredisTarget } from '@storefront/events';
import { createLogger, type Logger } from '@storefront/telemetry';
import type { SubgraphConfig } from '@storefront/subgraph-runtime';
import { coalesceKeyOf, ORDER_CHANGES_CHANNEL, parseOrderChange, topicOfNotification, type OrderChange } from './order-change-feed.ts';

export type OrderChangeHub = TopicHub<OrderChange>;

export interface RunningOrderChangeFeed {
  hub: OrderChangeHub;
  close(): Promise<void>;
}

/**
 * The change feed of an orders process on Postgres: its bridge (database → Redis) and its hub (Redis → this
 * process's subscribers). On the embedded database there is none yet (PGlite's single connection cannot also
 * LISTEN for another process), and orderUpdated answers SERVICE_UNAVAILABLE.
 */
export async function startOrderChangeFeed(
  config: SubgraphConfig,
  queues: IoredisTarget & { prefix?: string },
  logger: Logger | undefined,
): Promise<RunningOrderChangeFeed | undefined> {
  if (config.database.kind !== 'postgres') return undefined;
  const log = (logger ?? createLogger({ service: 'orders', level: config.logLevel })).child({ role: 'order-changes' });
  // connect: the queues' one ioredis factory, so a Redis Cluster (REDIS_CLUSTER_NODES) carries the topics too.
  const redis: RedisTopics = { options: queues.connection, prefix: queues.prefix ?? 'storefront', connect: (overrides) => openQueueRedis(queues, overrides) };
  const hub = new TopicHub<OrderChange>({ redis, parse: parseOrderChange, logger: log });
  const bridge = new NotifyToRedisBridge({ databaseUrl: config.database.url, channel: ORDER_CHANGES_CHANNEL, redis, topicOf: topicOfNotification, coalesceKey: coalesceKeyOf, logger: log });
  await bridge.start();
  return {
    hub,
    close: async () => {
      await Promise.all([hub.close(), bridge.close()]);
    },
  };
}
