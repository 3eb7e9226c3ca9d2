import { declaredSubgraph, serveSubgraph } from '@storefront/subgraph-runtime';
import { type RunningHttpServer } from '@storefront/http-host';
import { createLogger, defaultLogFormat, type Logger } from '@storefront/telemetry';
import { QueueAdmin, queueConnectionFromEnv } from '@storefront/events';
import type { OperationsConfig } from './config.ts';
import { resolvers, type OperationsContext } from './resolvers.ts';

export { loadOperationsConfig, type OperationsConfig } from './config.ts';

// No database of its own (it reads the queues in Redis), so it is served by the HTTP host without Prisma.
export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs } = declaredSubgraph(import.meta.url);

export interface RunningOperations extends RunningHttpServer {
  /** No database, so no SQL: always 0, for harnesses that count statements per subgraph. */
  queries: { readonly count: number };
}

/**
 * The longest a request (or /ready) waits for Redis: an admin listing is a few round trips, and a Redis that
 * is frozen or away must cost the admin a retryable error, not a request hanging until it returns.
 */
export const REDIS_DEADLINE_MS = 2_000;

/** Serves the operations subgraph: queue counts and dead letters of the queues in Redis. */
export async function start(config: OperationsConfig, logger?: Logger): Promise<RunningOperations> {
  const log = logger ?? createLogger({ service: SUBGRAPH_NAME, level: config.logLevel, format: defaultLogFormat(config.http.nodeEnv, config.logFormat) });
  const admin = new QueueAdmin(config.queues ?? queueConnectionFromEnv(), { deadlineMs: REDIS_DEADLINE_MS });
  const server = await serveSubgraph<OperationsContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      context: (request) => ({ ...request, admin }),
      checkReady: () => admin.ping(),
      release: () => admin.close(),
    },
    config.http,
    log,
  );
  return { ...server, queries: { count: 0 } };
}
