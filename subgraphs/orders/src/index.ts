import { readFileSync } from 'node:fs';
import type { Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers, queueConnectionFromEnv } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createDocumentServices, documentsContext, type DocumentServicesOptions } from './documents/context.ts';
import { fileRoutes } from './documents/files.ts';
import { createLoaders } from './loaders.ts';
import { createWorkers } from './workers.ts';
import { resolvers, type OrdersContext } from './resolvers.ts';
import { startOrderChangeFeed } from './subscriptions/start-feed.ts';

export { transitionOrder, canTransition, ORDER_TRANSITIONS } from './order-status.ts';
export type { OrderTransition, TransitionResult } from './order-status.ts';

export { createWorkers } from './workers.ts';
export const SUBGRAPH_NAME = 'orders';
export const DEFAULT_PORT = 4004;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface OrdersStartOptions {
  /** Tests inject the job queue connection and URL signing; the defaults come from the environment. */
  documents?: DocumentServicesOptions;
}

export async function start(config: SubgraphConfig, logger?: Logger, options: OrdersStartOptions = {}): Promise<RunningSubgraph> {
  const documents = createDocumentServices(options.documents);
  const changes = await startOrderChangeFeed(config, queueConnectionFromEnv(process.env, SUBGRAPH_NAME), logger);
  const running = await startPrismaSubgraph<PrismaClient, OrdersContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), documents: documentsContext(prisma, documents), orderChanges: changes?.hub }),
      prefixRoutes: (prisma) => fileRoutes(prisma, documents.signing),
    },
    config,
    logger,
  ).catch(async (error: unknown) => {
    await Promise.all([documents.close(), changes?.close()]);
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    ...running,
    close: () => {
      // The change feed goes first: its subscribers are told the stream ended before the server drains.
      closing ??= Promise.resolve(changes?.close())
        .then(() => running.close())
        .finally(() => documents.close());
      return closing;
    },
  };
}
