import { loadConfig } from '@storefront/common';
import { z } from 'zod';
import type { QueueConnection } from './job-options.ts';

const queueEnv = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  // BullMQ's key prefix: several stacks (or test runs) can share one Redis without seeing each other's jobs.
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]+(:[a-z0-9_-]+)*$/i, 'QUEUE_PREFIX: letters, digits, - _ and :').default('storefront'),
  // How long a worker's claim on a running job lasts unrenewed: a worker that dies (SIGKILL, a lost node) holds
  // its jobs this long, then another worker takes them over. BullMQ's default.
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
});

/** Reads REDIS_URL and QUEUE_PREFIX once; a bad value is a ConfigError naming the variable, as for every setting. */
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
    prefix: parsed.QUEUE_PREFIX,
    workerLockMs: parsed.WORKER_LOCK_MS,
  };
}
