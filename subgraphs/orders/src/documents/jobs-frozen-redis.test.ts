import { randomUUID } from 'node:crypto';
import { REQUEST_ENQUEUE_DEADLINE_MS } from '@storefront/events';
import { DeadlineExceededError } from '@storefront/http-host';
import { waitFor } from '@storefront/testing';
import { Queue } from 'bullmq';
import { startPrivateRedis, type PrivateRedis } from '../../../../tests/support/private-redis.ts';
import { DocumentJobs, SALES_REPORT_QUEUE } from './jobs.ts';

/*
 * Adding a sales-report job (the requestSalesReport mutation) on a redis-server of the test's own, frozen
 * with SIGSTOP: connected, never answering. BullMQ alone would wait for it indefinitely.
 */

/** Twice the deadline: generous for a loaded machine, far from waiting for Redis to thaw. */
const BOUND_MS = 2 * REQUEST_ENQUEUE_DEADLINE_MS;

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterEach(() => redis.thaw());
afterAll(async () => {
  await redis?.stop();
});

async function timed<T>(work: () => Promise<T>): Promise<{ outcome: T | unknown; ms: number }> {
  const started = performance.now();
  const outcome = await work().catch((error: unknown) => error);
  return { outcome, ms: performance.now() - started };
}

describe('adding a sales-report job while Redis is frozen', () => {
  it('gives up within the deadline each time, with a fresh connection after each miss, and adds again once Redis answers', async () => {
    const queues = { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-${randomUUID()}` };
    const jobs = new DocumentJobs(queues);
    const inspect = new Queue(SALES_REPORT_QUEUE, { connection: queues.connection, prefix: queues.prefix });
    try {
      await jobs.requestSalesReport(randomUUID());

      redis.freeze();
      // Once on the connection that was ready (its command is written, never answered), then on fresh ones
      // that never get past connecting.
      for (let i = 0; i < 2; i += 1) {
        const attempt = await timed(() => jobs.requestSalesReport(randomUUID()));
        expect(attempt.outcome).toBeInstanceOf(DeadlineExceededError);
        expect(attempt.ms).toBeLessThan(BOUND_MS);
      }

      redis.thaw();
      const reportId = randomUUID();
      await waitFor(
        () =>
          jobs.requestSalesReport(reportId).then(
            () => true,
            () => false,
          ),
        'the job to be added after the thaw',
        10_000,
        100,
      );
      expect(await inspect.getJob(reportId)).toBeDefined();
    } finally {
      await inspect.close();
      await jobs.close();
    }
  });

  it('closes within the deadline while Redis is frozen', async () => {
    const jobs = new DocumentJobs({ connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-${randomUUID()}` });
    await jobs.requestSalesReport(randomUUID());
    redis.freeze();
    const closing = await timed(() => jobs.close());
    expect(closing.ms).toBeLessThan(BOUND_MS);
  });
});
