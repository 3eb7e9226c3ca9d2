import { readFileSync } from 'node:fs';
import { fileSigningFromEnv, type FileSigningConfig } from '@storefront/identity';
import { type Logger } from '@storefront/telemetry';
import { queueConnectionFromEnv, type QueueConnection } from '@storefront/events';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createWorkers } from './workers.ts';
import { lazyImportQueue } from './imports/import-queue.ts';
import { productImportUploadRoute } from './imports/upload-route.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type CatalogContext } from './resolvers.ts';

export { createWorkers } from './workers.ts';

export const SUBGRAPH_NAME = 'catalog';
export const DEFAULT_PORT = 4002;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** What tests (or a host) may pass instead of the environment's REDIS_URL/QUEUE_PREFIX and FILE_SIGNING_SECRET/PUBLIC_URL. */
export interface CatalogOptions {
  queues?: QueueConnection;
  files?: FileSigningConfig;
}

export async function start(config: SubgraphConfig, logger?: Logger, options: CatalogOptions = {}): Promise<RunningSubgraph> {
  const files = options.files ?? fileSigningFromEnv();
  // Redis is only needed once an admin starts an import; a catalog without it still serves the store.
  const importQueue = lazyImportQueue(() => options.queues ?? queueConnectionFromEnv());
  const running = await startPrismaSubgraph<PrismaClient, CatalogContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), files, importQueue: importQueue.get }),
      // The router forwards /files/catalog/* here as /files/*: import uploads (PUT /files/imports/<id>.csv).
      prefixRoutes: (prisma) => ({ '/files/': productImportUploadRoute(prisma, files) }),
    },
    config,
    logger,
  );
  return {
    ...running,
    async close() {
      await running.close();
      await importQueue.close();
    },
  };
}
