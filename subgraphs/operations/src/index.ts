import { readFileSync } from 'node:fs';
import { createLogger, defaultLogFormat, serveSubgraph, type Logger, type RunningHttpServer } from '@storefront/common';
import { queueConnectionFromEnv } from '@storefront/events';
import { parse } from 'graphql';
import type { OperationsConfig } from './config.ts';
import { QueueAdmin } from './queue-admin.ts';
import { resolvers, type OperationsContext } from './resolvers.ts';

export { loadOperationsConfig, type OperationsConfig } from './config.ts';
export { declaredQueues, QueueAdmin, UnknownQueueError, type DeadLetterPage, type QueueStats } from './queue-admin.ts';

export const SUBGRAPH_NAME = 'operations';
export const DEFAULT_PORT = 4008;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export interface RunningOperations extends RunningHttpServer {
  /** No database, so no SQL: always 0, for harnesses that count statements per subgraph. */
  queries: { readonly count: number };
}

/** Serves the operations subgraph: queue counts and dead letters of the queues in Redis. */
export async function start(config: OperationsConfig, logger?: Logger): Promise<RunningOperations> {
  const log = logger ?? createLogger({ service: SUBGRAPH_NAME, level: config.logLevel, format: defaultLogFormat(config.http.nodeEnv, config.logFormat) });
  const admin = new QueueAdmin(config.queues ?? queueConnectionFromEnv());
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
