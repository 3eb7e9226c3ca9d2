/*
 * A product-import worker alone in its own process, for the test that kills a worker mid-import with
 * SIGKILL (no graceful close, no lock release). Configured by env: DATABASE_URL, QUEUE_PREFIX, BATCH_SIZE,
 * LOCK_MS, STALLED_INTERVAL_MS. Prints "ready" once it listens for jobs.
 */
import { openDatabase } from '@storefront/prisma-tools';
import { PrismaClient } from '../database.ts';
import { TEST_REDIS } from '@storefront/events/testing';
import { productImportJob } from './import-job.ts';

const { DATABASE_URL, QUEUE_PREFIX } = process.env;
if (!DATABASE_URL || !QUEUE_PREFIX) throw new Error('DATABASE_URL and QUEUE_PREFIX are required');
const database = await openDatabase({ target: { kind: 'postgres', url: DATABASE_URL }, migrationsDir: '', migrate: false, poolSize: 2 });
const prisma = new PrismaClient({ adapter: database.adapter });
const spec = productImportJob(prisma, {
  batchSize: Number(process.env.BATCH_SIZE ?? 1000),
  // Every worker of a queue shares one stalled-check lock for stalledInterval: the killed worker's must be as
  // short as the replacement's, or the replacement waits out the default 30 s before finding the stalled job.
  workerOptions: { lockDuration: Number(process.env.LOCK_MS ?? 30_000), stalledInterval: Number(process.env.STALLED_INTERVAL_MS ?? 30_000) },
});
const worker = spec.start({ connection: { ...TEST_REDIS }, prefix: QUEUE_PREFIX }, { info() {}, warn() {}, error() {} });
await worker.worker.waitUntilReady();
process.stdout.write('ready\n');
