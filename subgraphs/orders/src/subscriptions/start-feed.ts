import { createLogger, type Logger } from '@storefront/common';
import type { SubgraphConfig } from '@storefront/prisma-tools';
import type { RedisOptions } from 'ioredis';
import { OrderChangeBridge, OrderChangeHub } from './order-change-feed.ts';

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
  queues: { connection: RedisOptions; prefix?: string },
  logger: Logger | undefined,
): Promise<RunningOrderChangeFeed | undefined> {
  if (config.database.kind !== 'postgres') return undefined;
  const log = (logger ?? createLogger({ service: 'orders', level: config.logLevel })).child({ role: 'order-changes' });
  const connection = { options: queues.connection, prefix: queues.prefix ?? 'storefront' };
  const hub = new OrderChangeHub(connection, log);
  const bridge = new OrderChangeBridge(config.database.url, connection, log);
  await bridge.start();
  return {
    hub,
    close: async () => {
      await Promise.all([hub.close(), bridge.close()]);
    },
  };
}
