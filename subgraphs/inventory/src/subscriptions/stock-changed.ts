import { badUserInput, isUuid } from '@storefront/api-conventions';
import { openQueueRedis, type IoredisTarget } from '@storefront/events';
import { NotifyToRedisBridge, TopicHub, type RedisTopics } from '@storefront/subscriptions';
import { createLogger, type Logger } from '@storefront/telemetry';
import type { SubgraphConfig } from '@storefront/subgraph-runtime';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { createLoaders } from '../loaders.ts';
import type { InventoryContext } from '../resolvers.ts';

/*
 * Subscription.stockChanged(productIds): the product (inventory's part of it: inStock, stock) each time its
 * availability changes in a committed transaction, for up to 100 products. Public, like stock on a product
 * page. Fed by a trigger on stock_levels (migration 20261202020000) through Redis, as orders' feed.
 */

export const STOCK_CHANGES_CHANNEL = 'stock_changes';
export const MAX_WATCHED_PRODUCTS = 100;

const stockChangeSchema = z.object({ productId: z.uuid(), version: z.number().int() });
export type StockChange = z.output<typeof stockChangeSchema>;

export function parseStockChange(text: string): StockChange | undefined {
  try {
    const parsed = stockChangeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const stockTopic = (productId: string) => `inventory:stock:${productId}`;

export type StockChangeHub = TopicHub<StockChange>;

interface StockChangedEvent {
  stockChanged: { id: string };
  change: StockChange;
}

/**
 * Loaders shared by every subscriber of one change (the hub hands each the same object): stock is public, so
 * forty subscribers of a product cost one read per change, not forty.
 */
const loadersOfChange = new WeakMap<StockChange, ReturnType<typeof createLoaders>>();

async function* changes(queue: AsyncIterableIterator<StockChange>): AsyncGenerator<StockChangedEvent> {
  // Each replica's bridge publishes every change: a version not newer than the product's last is a copy.
  const delivered = new Map<string, number>();
  try {
    for await (const change of queue) {
      if ((delivered.get(change.productId) ?? 0) >= change.version) continue;
      delivered.set(change.productId, change.version);
      yield { stockChanged: { id: change.productId }, change };
    }
  } finally {
    await queue.return?.();
  }
}

export const stockChangedResolvers = {
  stockChanged: {
    async subscribe(_: unknown, { productIds }: { productIds: string[] }, context: InventoryContext): Promise<AsyncGenerator<StockChangedEvent>> {
      if (productIds.length === 0 || productIds.length > MAX_WATCHED_PRODUCTS) {
        throw badUserInput(`productIds takes 1 to ${MAX_WATCHED_PRODUCTS} ids`, 'productIds');
      }
      if (!productIds.every(isUuid)) throw badUserInput('productIds holds an invalid id', 'productIds');
      if (!context.stockChanges) throw new GraphQLError('Stock updates are not available on this server', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
      return changes(await context.stockChanges.watch(productIds.map(stockTopic)));
    },
    /** The product as it is now: its stock is read for this change, once for all its subscribers. */
    resolve({ stockChanged, change }: StockChangedEvent, _: unknown, context: InventoryContext): { id: string } {
      let loaders = loadersOfChange.get(change);
      if (!loaders) loadersOfChange.set(change, (loaders = createLoaders(context.prisma)));
      context.loaders = loaders;
      return stockChanged;
    },
  },
};

export interface RunningStockChangeFeed {
  hub: StockChangeHub;
  close(): Promise<void>;
}

/** The feed of an inventory process on Postgres (none on the embedded database: stockChanged is unavailable). */
export async function startStockChangeFeed(
  config: SubgraphConfig,
  queues: IoredisTarget & { prefix?: string },
  logger: Logger | undefined,
): Promise<RunningStockChangeFeed | undefined> {
  if (config.database.kind !== 'postgres') return undefined;
  const log = (logger ?? createLogger({ service: 'inventory', level: config.logLevel })).child({ role: 'stock-changes' });
  // connect: the queues' one ioredis factory, so a Redis Cluster (REDIS_CLUSTER_NODES) carries the topics too.
  const redis: RedisTopics = { options: queues.connection, prefix: queues.prefix ?? 'storefront', connect: (overrides) => openQueueRedis(queues, overrides) };
  const hub = new TopicHub<StockChange>({ redis, parse: parseStockChange, logger: log });
  const bridge = new NotifyToRedisBridge({
    databaseUrl: config.database.url,
    channel: STOCK_CHANGES_CHANNEL,
    redis,
    topicOf: (payload) => {
      const change = parseStockChange(payload);
      return change && stockTopic(change.productId);
    },
    logger: log,
  });
  await bridge.start();
  return { hub, close: async () => void (await Promise.all([hub.close(), bridge.close()])) };
}
