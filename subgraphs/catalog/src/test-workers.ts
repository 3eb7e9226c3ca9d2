/*
 * Fixtures for catalog's worker tests: the catalog subgraph on a fresh seeded database, a unique BullMQ prefix
 * on the local Redis (wiped afterwards), and the service's workers as the worker process hosts them.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FileSigningConfig, SeedPlan } from '@storefront/common';
import { startServiceWorkers, type QueueConnection, type RunningServiceWorkers } from '@storefront/events';
import { openDatabase, silentLogger, startTestSubgraph, type ServiceDatabase, type TestSubgraph } from '@storefront/prisma-tools';
import { Redis } from 'ioredis';
import { PrismaClient } from './database.ts';
import { createWorkers, start } from './index.ts';

export const TEST_REDIS = { host: process.env.TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.TEST_REDIS_PORT ?? 6379), maxRetriesPerRequest: null } as const;
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
  const prefix = `test-catalog:${randomUUID()}`;
  const queues: QueueConnection = { connection: { ...TEST_REDIS }, prefix };
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
      await deleteRedisKeys(prefix);
    },
  };
  return world;
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns true; fails after `timeoutMs` naming what it waited for. */
export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
