import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/common';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { createWorkers } from './workers.ts';
import { resolvers, type InventoryContext } from './resolvers.ts';

export { expireReservations } from './reservation-transitions.ts';
export { estimateShipping } from './shipping.ts';

export { createWorkers } from './workers.ts';
export const SUBGRAPH_NAME = 'inventory';
export const DEFAULT_PORT = 4003;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export function start(config: SubgraphConfig, logger?: Logger): Promise<RunningSubgraph> {
  return startPrismaSubgraph<PrismaClient, InventoryContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma) }),
    },
    config,
    logger,
  );
}
