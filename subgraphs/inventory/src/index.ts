import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers, queueConnectionFromEnv } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { createWorkers } from './workers.ts';
import { resolvers, type InventoryContext } from './resolvers.ts';
import { startStockChangeFeed } from './subscriptions/stock-changed.ts';

export { expireReservations } from './reservation-transitions.ts';
export { estimateShipping } from './shipping.ts';

export { createWorkers } from './workers.ts';
export const SUBGRAPH_NAME = 'inventory';
export const DEFAULT_PORT = 4003;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export async function start(config: SubgraphConfig, logger?: Logger): Promise<RunningSubgraph> {
  const changes = await startStockChangeFeed(config, queueConnectionFromEnv(process.env, SUBGRAPH_NAME), logger);
  const running = await startPrismaSubgraph<PrismaClient, InventoryContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), stockChanges: changes?.hub }),
    },
    config,
    logger,
  ).catch(async (error: unknown) => {
    await changes?.close();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    ...running,
    // The change feed goes first: its subscribers are told the stream ended before the server drains.
    close: () => (closing ??= Promise.resolve(changes?.close()).then(() => running.close())),
  };
}
