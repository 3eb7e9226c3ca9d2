import { queueConnectionFromEnv } from '@storefront/events';
import { defineSubgraph } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { startStockChangeFeed } from './subscriptions/stock-changed.ts';
import { createWorkers } from './workers.ts';

export { expireReservations } from './reservation-transitions.ts';
export { estimateShipping } from './shipping.ts';
export { createWorkers } from './workers.ts';

export const inventory = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  workers: createWorkers,
  open: async ({ name, config, log, closes }) => ({
    // The change feed closes first: its subscribers are told the stream ended before the server drains.
    stockChanges: closes(await startStockChangeFeed(config, queueConnectionFromEnv(process.env, name), log), 'before-drain')?.hub,
  }),
  context: (request, prisma, { stockChanges }) => ({ ...request, prisma, loaders: createLoaders(prisma), stockChanges }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = inventory;
