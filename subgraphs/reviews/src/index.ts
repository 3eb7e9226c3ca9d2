import { defineSubgraph } from '@storefront/subgraph-runtime';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { createWorkers } from './workers.ts';

export { createWorkers } from './workers.ts';

export const reviews = defineSubgraph({
  entry: import.meta.url,
  resolvers,
  migrationsDir: MIGRATIONS_DIR,
  PrismaClient,
  workers: () => createWorkers,
  context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma) }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = reviews;
