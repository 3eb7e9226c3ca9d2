import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/common';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type OrdersContext } from './resolvers.ts';

export { transitionOrder, canTransition, ORDER_TRANSITIONS } from './order-status.ts';
export type { OrderTransition, TransitionResult } from './order-status.ts';

export const SUBGRAPH_NAME = 'orders';
export const DEFAULT_PORT = 4004;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export function start(config: SubgraphConfig, logger?: Logger): Promise<RunningSubgraph> {
  return startPrismaSubgraph<PrismaClient, OrdersContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma) }),
    },
    config,
    logger,
  );
}
