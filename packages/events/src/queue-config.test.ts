import { ConfigError } from '@storefront/config';
import { createJobWorker } from './job-worker.ts';
import { queueConnectionFromEnv } from './queue-config.ts';
import { deleteQueueKeys, testQueueConnection } from './testing/index.ts';

describe('queueConnectionFromEnv', () => {
  it('reads the Redis URL, the prefix and the workers’ lock, with BullMQ’s 30 s lock by default', () => {
    expect(queueConnectionFromEnv({})).toMatchObject({ connection: { host: '127.0.0.1', port: 6379 }, prefix: 'storefront', workerLockMs: 30_000 });
    expect(queueConnectionFromEnv({ REDIS_URL: 'redis://:secret@cache:6380/2', QUEUE_PREFIX: 'shop:eu', WORKER_LOCK_MS: '5000' })).toMatchObject({
      connection: { host: 'cache', port: 6380, password: 'secret', db: 2 },
      prefix: 'shop:eu',
      workerLockMs: 5_000,
    });
  });

  it('refuses a lock under a second', () => {
    expect(() => queueConnectionFromEnv({ WORKER_LOCK_MS: '200' })).toThrow(ConfigError);
  });
});

it('gives every worker the configured lock, and looks for stalled jobs as often', async () => {
  const queues = { ...testQueueConnection('worker-lock'), workerLockMs: 4_000 };
  const job = createJobWorker({ queue: 'lock-test', queues, processor: async () => undefined });
  try {
    expect(job.worker.opts).toMatchObject({ lockDuration: 4_000, stalledInterval: 4_000 });
  } finally {
    await job.close();
    await deleteQueueKeys(queues.prefix);
  }
});
