import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createWorkers } from './workers.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type ReviewsContext } from './resolvers.ts';

export { createWorkers } from './workers.ts';

export const SUBGRAPH_NAME = 'reviews';
export const DEFAULT_PORT = 4006;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export function start(config: SubgraphConfig, logger?: Logger): Promise<RunningSubgraph> {
  return startPrismaSubgraph<PrismaClient, ReviewsContext>(
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
