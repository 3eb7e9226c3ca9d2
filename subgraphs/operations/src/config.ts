import { subgraphProcessConfig, subgraphProcessEnv, type SubgraphHttpConfig } from '@storefront/subgraph-runtime';
import { loadConfig } from '@storefront/config';
import { queueConnectionFromEnv, type QueueConnection } from '@storefront/events';
import { z } from 'zod';

/** What the operations subgraph reads from its environment. It has no database: its data is Redis's. */
export interface OperationsConfig {
  http: SubgraphHttpConfig;
  logLevel: string;
  logFormat: 'json' | 'pretty' | undefined;
  /** Where the queues are; absent: REDIS_URL and QUEUE_PREFIX from the environment. */
  queues?: QueueConnection;
}

/**
 * Reads PORT, HOST, LOG_LEVEL, LOG_FORMAT, MAX_BODY_BYTES, ROUTER_IDENTITY_PUBLIC_KEY (as every subgraph),
 * REDIS_URL and QUEUE_PREFIX (as the workers, so it sees their queues).
 */
export function loadOperationsConfig(name: string, defaultPort: number, env: NodeJS.ProcessEnv = process.env): OperationsConfig {
  const schema = z.object(subgraphProcessEnv(defaultPort));
  const parsed = loadConfig(name, schema, env);
  return { ...subgraphProcessConfig(name, parsed), queues: queueConnectionFromEnv(env, name) };
}
