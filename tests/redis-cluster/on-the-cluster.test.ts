import { Redis } from 'ioredis';
import { openQueue, openQueueRedis } from '@storefront/events';
import { deleteQueueKeys, TEST_REDIS, testQueueConnection } from '@storefront/events/testing';

/*
 * That the suites of this run really are on the cluster: the queue fixtures carry its seed nodes and a
 * hash-tagged prefix, and a job they add lives on the cluster, not on the shared single Redis.
 */
it('the queue fixtures point at the cluster, under a hash-tagged prefix', async () => {
  const queues = testQueueConnection('on-the-cluster');
  expect(queues.cluster?.length).toBe(6);
  expect(queues.prefix).toMatch(/^\{test-on-the-cluster:[0-9a-f-]+\}$/);
  const queue = openQueue('probe', queues);
  const cluster = openQueueRedis(queues);
  const single = new Redis({ host: TEST_REDIS.host, port: TEST_REDIS.port });
  try {
    await queue.add('probe', { n: 1 }, { jobId: 'probe-1' });
    expect(await cluster.exists(`${queues.prefix}:probe:probe-1`)).toBe(1);
    expect(await single.exists(`${queues.prefix}:probe:probe-1`)).toBe(0);
    await deleteQueueKeys(queues.prefix);
    expect(await cluster.exists(`${queues.prefix}:probe:probe-1`)).toBe(0);
  } finally {
    await queue.close();
    cluster.disconnect();
    single.disconnect();
  }
});
