import { queueConnectionFromEnv } from '@storefront/events';
import { defineSubgraph, type SubgraphScope } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import type { PrismaClient } from './database.ts';
import { createDocumentServices, documentsContext, type DocumentServicesOptions } from './documents/context.ts';
import { fileRoutes } from './documents/files.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { startOrderChangeFeed } from './subscriptions/start-feed.ts';
import { createWorkers } from './workers.ts';

export { transitionOrder, canTransition, ORDER_TRANSITIONS } from './order-status.ts';
export type { OrderTransition, TransitionResult } from './order-status.ts';
export { createWorkers } from './workers.ts';

export interface OrdersStartOptions {
  /** Tests inject the job queue connection and URL signing; the defaults come from the environment. */
  documents?: DocumentServicesOptions;
}

export const orders = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  workers: createWorkers,
  open: async ({ name, config, log, options, closes }: SubgraphScope<PrismaClient, OrdersStartOptions>) => ({
    documents: closes(createDocumentServices(options.documents)),
    // The change feed closes first: its subscribers are told the stream ended before the server drains.
    orderChanges: closes(await startOrderChangeFeed(config, queueConnectionFromEnv(process.env, name), log), 'before-drain')?.hub,
  }),
  context: (request, prisma, { documents, orderChanges }) => ({
    ...request,
    prisma,
    loaders: createLoaders(prisma),
    documents: documentsContext(prisma, documents),
    orderChanges,
  }),
  prefixRoutes: (prisma, { documents }) => fileRoutes(prisma, documents.signing),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = orders;
