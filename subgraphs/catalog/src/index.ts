import { queueConnectionFromEnv, type QueueConnection } from '@storefront/events';
import { fileSigningFromEnv, type FileSigningConfig } from '@storefront/identity';
import { defineSubgraph, type SubgraphScope } from '@storefront/subgraph-runtime';
import * as database from './database.ts';
import type { PrismaClient } from './database.ts';
import { ImportJobs } from './imports/import-jobs.ts';
import { productImportUploadRoute } from './imports/upload-route.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers.ts';
import { createWorkers } from './workers.ts';

export { createWorkers } from './workers.ts';

/** What tests (or a host) may pass instead of the environment's REDIS_URL/QUEUE_PREFIX and FILE_SIGNING_SECRET/PUBLIC_URL. */
export interface CatalogOptions {
  queues?: QueueConnection;
  files?: FileSigningConfig;
}

export const catalog = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  workers: createWorkers,
  open: ({ options, closes }: SubgraphScope<PrismaClient, CatalogOptions>) => ({
    files: options.files ?? fileSigningFromEnv(),
    importJobs: closes(new ImportJobs(options.queues ?? queueConnectionFromEnv())),
  }),
  context: (request, prisma, { files, importJobs }) => ({ ...request, prisma, loaders: createLoaders(prisma), files, importJobs }),
  // The router forwards /files/catalog/* here as /files/*: import uploads (PUT /files/imports/<id>.csv).
  prefixRoutes: (prisma, { files }) => ({ '/files/': productImportUploadRoute(prisma, files) }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = catalog;
