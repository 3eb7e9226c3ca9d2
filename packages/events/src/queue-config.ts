import { envRedisClusterNodes, loadConfig } from '@storefront/config';
import { z } from 'zod';
import type { QueueConnection } from './job-options.ts';

const queueEnv = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  // A Redis Cluster's seed nodes instead of the single REDIS_URL (whose credentials and TLS then apply to every node).
  REDIS_CLUSTER_NODES: envRedisClusterNodes,
  // BullMQ's key prefix: several stacks (or test runs) can share one Redis without seeing each other's jobs.
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]+(:[a-z0-9_-]+)*$/i, 'QUEUE_PREFIX: letters, digits, - _ and :').default('storefront'),
  // How long a worker's claim on a running job lasts unrenewed: a worker that dies (SIGKILL, a lost node) holds
  // its jobs this long, then another worker takes them over. BullMQ's default.
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
});

/**
 * Reads REDIS_URL (or REDIS_CLUSTER_NODES) and QUEUE_PREFIX once; a bad value is a ConfigError naming the variable,
 * as for every setting. On a cluster the prefix is hash-tagged (`{storefront}`): BullMQ's scripts touch several keys
 * of a queue at once, which a cluster allows only within one slot, and the tag puts all of them in the same one.
 */
export function queueConnectionFromEnv(env: NodeJS.ProcessEnv = process.env, service = 'queues'): QueueConnection {
  const parsed = loadConfig(service, queueEnv, env);
  const url = new URL(parsed.REDIS_URL);
  return {
    connection: {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      // Workers block on Redis: BullMQ requires no per-command retry limit.
      maxRetriesPerRequest: null,
    },
    ...(parsed.REDIS_CLUSTER_NODES ? { cluster: parsed.REDIS_CLUSTER_NODES } : {}),
    prefix: parsed.REDIS_CLUSTER_NODES ? `{${parsed.QUEUE_PREFIX}}` : parsed.QUEUE_PREFIX,
    workerLockMs: parsed.WORKER_LOCK_MS,
  };
}
