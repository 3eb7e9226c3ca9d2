import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createJobWorker, openQueue, openQueueRedis, queueConnectionFromEnv, type JobWorker, type QueueConnection } from '@storefront/events';
import type { Queue } from 'bullmq';
import { startPrivateRedisCluster, type PrivateRedisCluster } from './support/private-redis-cluster.ts';

/*
 * BullMQ on a Redis Cluster of the test's own (three masters, three replicas), configured the way a deployment
 * is (REDIS_CLUSTER_NODES), and a failover under load: the master holding the queues' slot is killed while jobs
 * are being added and worked, its replica takes over, and every job still runs.
 */

let cluster: PrivateRedisCluster;
let queues: QueueConnection;

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  queues = queueConnectionFromEnv({ REDIS_CLUSTER_NODES: cluster.nodesSetting, QUEUE_PREFIX: 'cluster-test', WORKER_LOCK_MS: '2000' });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('queues on a Redis Cluster', () => {
  it('hash-tags the prefix, so every key of a queue lands in one slot', () => {
    expect(queues.prefix).toBe('{cluster-test}');
    expect(queues.cluster).toHaveLength(6);
  });

  it('adds and works jobs, and survives the loss of the master holding them', async () => {
    const runs = new Map<string, number>();
    let queue: Queue | undefined;
    let worker: JobWorker | undefined;
    try {
      queue = openQueue('jobs.cluster-failover', queues);
      worker = createJobWorker({
        queue: 'jobs.cluster-failover',
        queues,
        concurrency: 4,
        processor: async (job) => {
          runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
        },
      });
      const total = 300;
      // The producer retries an add that fails (as the outbox relay does: an event is marked sent only once added);
      // the jobId makes a retried add that did land a no-op.
      const add = async (index: number) => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            await queue!.add('work', { index }, { jobId: `job-${index}`, removeOnComplete: false });
            return;
          } catch (error) {
            if (attempt > 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      };
      const producing = (async () => {
        for (let index = 0; index < total; index += 1) {
          await add(index);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      // Mid-load: a third of the jobs are in.
      while (runs.size < total / 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const { killedPort, promotedPort } = await cluster.killMaster({ key: '{cluster-test}' });
      expect(promotedPort).not.toBe(killedPort);
      await producing;
      const deadline = Date.now() + 45_000;
      while (runs.size < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

      expect(runs.size).toBe(total);
      const doubled = [...runs].filter(([, count]) => count > 1);
      // A job whose completion the dead master acknowledged but never replicated runs again once its lock lapses:
      // BullMQ is at-least-once, and the consumers' processed_events make that exactly-once for the store. Here it
      // is visible as a count, and bounded by what the worker had in flight.
      expect(doubled.length).toBeLessThanOrEqual(4);
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active');
      expect(counts).toMatchObject({ failed: 0, waiting: 0, active: 0 });
      expect(counts.completed).toBe(total);
    } finally {
      await worker?.close();
      await queue?.close();
    }
  }, 100_000);

  it('answers the readiness probe through the cluster client', async () => {
    const probe = openQueueRedis(queues, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await probe.connect();
      expect(await probe.ping()).toBe('PONG');
    } finally {
      probe.disconnect();
    }
  });
});
