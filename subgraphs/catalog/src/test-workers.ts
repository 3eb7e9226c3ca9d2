/*
 * Fixtures for catalog's worker tests: the catalog subgraph on a fresh seeded database, a unique BullMQ prefix
 * on the local Redis (wiped afterwards), and the service's workers as the worker process hosts them.
 */
import { fileURLToPath } from 'node:url';
import type { FileSigningConfig } from '@storefront/identity';
import type { SeedPlan } from '@storefront/seed-world';
import { startServiceWorkers, type QueueConnection, type RunningServiceWorkers } from '@storefront/events';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { silentLogger, startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { PrismaClient } from './database.ts';
import { createWorkers, start } from './index.ts';

export const TEST_FILES: FileSigningConfig = { secret: 'catalog-test-file-signing-secret-0123456789', publicUrl: 'https://shop.example.test' };

export interface CatalogWorld {
  catalog: TestSubgraph;
  /** The workers' own client on the catalog database, as a worker process would open it. */
  prisma: PrismaClient;
  queues: QueueConnection;
  /** The catalog service's workers (ratings consumer, import worker); tests may close and replace them. */
  workers: RunningServiceWorkers | undefined;
  startWorkers(): Promise<RunningServiceWorkers>;
  close(): Promise<void>;
}

export async function startCatalogWorld(plan: SeedPlan): Promise<CatalogWorld> {
  const queues = testQueueConnection('catalog');
  const catalog = await startTestSubgraph(
    fileURLToPath(new URL('..', import.meta.url)),
    (config, logger) => start(config, logger, { queues, files: TEST_FILES }),
    plan,
  );
  let database: ServiceDatabase | undefined;
  try {
    database = await openDatabase({ target: { kind: 'postgres', url: catalog.database.url }, migrationsDir: '', migrate: false, poolSize: 5 });
  } catch (error) {
    await catalog.close();
    throw error;
  }
  const opened = database;
  const prisma = new PrismaClient({ adapter: opened.adapter });
  const world: CatalogWorld = {
    catalog,
    prisma,
    queues,
    workers: undefined,
    async startWorkers() {
      world.workers = await startServiceWorkers('catalog', createWorkers, { prisma, queues, logger: silentLogger, env: {} });
      return world.workers;
    },
    async close() {
      await world.workers?.close();
      await prisma.$disconnect();
      await opened.close();
      await catalog.close();
      await deleteQueueKeys(queues.prefix);
    },
  };
  return world;
}

export { waitFor } from '@storefront/testing';
