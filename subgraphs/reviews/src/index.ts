import { defineSubgraph } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { createWorkers } from './workers.ts';

export { createWorkers } from './workers.ts';

export const reviews = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  workers: createWorkers,
  context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma) }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = reviews;
