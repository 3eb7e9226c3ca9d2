/*
 * Fixtures of the documents tests: the orders subgraph on a fresh seeded database, its document workers
 * (consumer and job workers, no relay) on a unique BullMQ prefix, and a client on the same database.
 * Each test file gets its own database and prefix, removed when it closes.
 */
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { FileSigningConfig } from '@storefront/identity';
import { startServiceWorkers, type QueueConnection, type RunningServiceWorkers } from '@storefront/events';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { MIGRATIONS_DIR, PrismaClient } from '../database.ts';
import { start } from '../index.ts';
import { TEST_PLAN } from '../test-fixtures.ts';
import { documentWorkers } from './workers.ts';

/** Small, so a report over the seeded orders crosses several batch boundaries. */
export const TEST_REPORT_BATCH_SIZE = 7;

export const TEST_SIGNING: FileSigningConfig = { secret: 'documents-test-secret-0123456789abcdef', publicUrl: 'https://shop.example.test' };

export interface DocumentsTestEnvironment {
  orders: TestSubgraph;
  prisma: PrismaClient;
  queues: QueueConnection;
  workers: RunningServiceWorkers;
  /** A queue handle on the test prefix (closed with the environment). */
  queue(name: string): Queue;
  /** The orders host's URL for a signed public URL (what the router's /files/orders/* forwarding does). */
  hostUrl(publicUrl: string): string;
  close(): Promise<void>;
}

export async function startDocumentsEnvironment(): Promise<DocumentsTestEnvironment> {
  const queues = testQueueConnection('orders-documents');
  const orders = await startTestSubgraph(
    fileURLToPath(new URL('../..', import.meta.url)),
    (config, logger) => start(config, logger, { documents: { queues, signing: TEST_SIGNING } }),
    TEST_PLAN,
  );
  let database: ServiceDatabase | undefined;
  let workers: RunningServiceWorkers | undefined;
  const handles = new Map<string, Queue>();
  const queue = (name: string) => {
    let handle = handles.get(name);
    if (!handle) {
      handle = new Queue(name, { connection: queues.connection, prefix: queues.prefix });
      handles.set(name, handle);
    }
    return handle;
  };
  const close = async () => {
    await workers?.close();
    await Promise.all([...handles.values()].map((handle) => handle.close()));
    await database?.close();
    await orders.close();
    await deleteQueueKeys(queues.prefix);
  };
  try {
    database = await openDatabase({ target: { kind: 'postgres', url: orders.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 4 });
    const prisma = new PrismaClient({ adapter: database.adapter });
    workers = await startServiceWorkers('orders', (runtime) => ({ ...documentWorkers(runtime, { reportBatchSize: TEST_REPORT_BATCH_SIZE }), schedules: [], relay: false }), {
      prisma,
      queues,
      logger: { info() {}, warn() {}, error() {} },
      env: {},
    });
    const origin = new URL(orders.subgraph.url).origin;
    return {
      orders,
      prisma,
      queues,
      workers,
      queue,
      hostUrl: (publicUrl) => {
        const url = new URL(publicUrl);
        if (!url.pathname.startsWith('/files/orders/')) throw new Error(`${publicUrl} is not an orders file URL`);
        return `${origin}/files/${url.pathname.slice('/files/orders/'.length)}${url.search}`;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export { waitFor } from '@storefront/testing';
