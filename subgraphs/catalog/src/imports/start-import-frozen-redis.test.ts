import { randomUUID } from 'node:crypto';
import { openQueue, REQUEST_ENQUEUE_DEADLINE_MS } from '@storefront/events';
import { waitFor } from '@storefront/testing';
import { startPrivateRedis, type PrivateRedis } from '../../../../tests/support/private-redis.ts';
import type { PrismaClient } from '../database.ts';
import { ImportJobs } from './import-jobs.ts';
import { PRODUCT_IMPORT_QUEUE, startProductImport } from './product-imports.ts';

/*
 * startProductImport (a mutation) on a redis-server of the test's own, frozen with SIGSTOP: connected, never
 * answering, where BullMQ alone would wait for it indefinitely. The database is a stand-in holding one
 * uploaded import; what matters here is what the mutation does with Redis.
 */

const BOUND_MS = 2 * REQUEST_ENQUEUE_DEADLINE_MS;

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterEach(() => redis.thaw());
afterAll(async () => {
  await redis?.stop();
});

/** One import row and the conditional updates startProductImport sends, recorded. */
function oneImport(id: string) {
  const row = { id, status: 'UPLOADED' };
  const updates: Array<{ from: string; to: string }> = [];
  const productImport = {
    async updateMany({ where, data }: { where: { status: string }; data: { status: string } }) {
      if (row.status !== where.status) return { count: 0 };
      updates.push({ from: row.status, to: data.status });
      row.status = data.status;
      return { count: 1 };
    },
    async findUnique() {
      return { ...row };
    },
  };
  // A stand-in for the two calls startProductImport makes; the real client is tested in imports.test.ts.
  return { row, updates, prisma: { productImport } as unknown as PrismaClient };
}

const queuesOnPrivateRedis = () => ({ connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-${randomUUID()}` });

describe('starting a product import while Redis is frozen', () => {
  it('answers SERVICE_UNAVAILABLE within the deadline and leaves the import QUEUED, and a retry after the thaw queues it', async () => {
    const queues = queuesOnPrivateRedis();
    const jobs = new ImportJobs(queues);
    const id = randomUUID();
    const { row, prisma } = oneImport(id);
    const reader = openQueue(PRODUCT_IMPORT_QUEUE, queues);
    try {
      // Connected first: an earlier import's job is in.
      await jobs.queueImport(randomUUID());
      redis.freeze();
      for (let i = 0; i < 2; i += 1) {
        const started = performance.now();
        const error = await startProductImport(prisma, jobs, id).catch((caught: unknown) => caught);
        expect(performance.now() - started).toBeLessThan(BOUND_MS);
        expect(error).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } });
        // Unknown whether the job exists: staying QUEUED lets the retry re-add it by jobId.
        expect(row.status).toBe('QUEUED');
      }

      redis.thaw();
      await waitFor(
        () =>
          startProductImport(prisma, jobs, id).then(
            (payload) => payload.errors.length === 0,
            () => false,
          ),
        'the import to be queued after the thaw',
        10_000,
        100,
      );
      expect(await reader.getJob(id)).toBeDefined();
    } finally {
      await jobs.close();
      await reader.close();
    }
  });

  it('closes its queue within the deadline while Redis is frozen', async () => {
    const jobs = new ImportJobs(queuesOnPrivateRedis());
    await jobs.queueImport(randomUUID());
    redis.freeze();
    const started = performance.now();
    await jobs.close();
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  });
});
