import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { serveSubgraph, type SubgraphResolvers } from './subgraph-host.ts';
import { type IncomingRequest, type RequestContext, type RouteHandler, type RunningHttpServer } from '@storefront/http-host';
import { createLogger, createMetricsRegistry, registerPoolMetrics, defaultLogFormat, type Logger, type Registry } from '@storefront/telemetry';
import type { DocumentNode } from 'graphql';
import { type DatabaseNotifications, openDatabase, type QueryCounter } from '@storefront/prisma-tools';
import type { SubgraphConfig } from './subgraph-config.ts';

/** What makes one subgraph different from another; the boot sequence is the same for all. */
export interface PrismaSubgraph<Client extends { $disconnect(): Promise<void> }, Context extends RequestContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers<Context>;
  migrationsDir: string;
  createClient(adapter: SqlDriverAdapterFactory): Client;
  /** Per-request context: usually the client plus fresh DataLoaders. */
  context(request: IncomingRequest, client: Client): Context;
  /** Extra open HTTP routes (accounts publishes its JWKS). */
  routes?: Record<string, RouteHandler> | ((client: Client) => Record<string, RouteHandler>);
  /** Open routes for every path under a prefix ending in '/' (orders serves signed downloads under /files/). */
  prefixRoutes?: Record<string, RouteHandler> | ((client: Client) => Record<string, RouteHandler>);
  /**
   * The subgraph's workers (outbox relay, consumers, jobs), started in this process when RUN_WORKERS is on:
   * the development shape on the embedded database, which only one process can open. In production the
   * workers run as their own processes (workers/src/main.ts).
   */
  background?: (client: Client, log: Logger, metrics: Registry, notifications: DatabaseNotifications) => Promise<{ close(): Promise<void> }>;
  /** The process's Prometheus registry, served at /metrics, for a subgraph with metrics of its own (a new one when left out). */
  metrics?: Registry;
}

export interface RunningSubgraph extends RunningHttpServer {
  /** SQL statements this subgraph has sent to its database (tests assert batching with it). */
  queries: QueryCounter;
}

/** Opens the subgraph's own database (migrating it when configured to) and serves the subgraph over HTTP. */
export async function startPrismaSubgraph<Client extends { $disconnect(): Promise<void> }, Context extends RequestContext>(
  subgraph: PrismaSubgraph<Client, Context>,
  config: SubgraphConfig,
  logger?: Logger,
): Promise<RunningSubgraph> {
  const log =
    logger ??
    createLogger({ service: subgraph.name, level: config.logLevel, format: defaultLogFormat(config.http.nodeEnv, config.logFormat) });
  const database = await openDatabase({
    target: config.database,
    migrationsDir: subgraph.migrationsDir,
    migrate: config.migrateOnStart,
    poolSize: config.databasePoolSize,
  });
  if (database.appliedMigrations.length) log.info({ migrations: database.appliedMigrations }, 'applied migrations');
  const client = subgraph.createClient(database.adapter);
  const metrics = subgraph.metrics ?? createMetricsRegistry(subgraph.name);
  const background = config.runWorkers && subgraph.background ? await subgraph.background(client, log.child({ role: 'workers' }), metrics, database.notifications) : undefined;
  if (database.pool) registerPoolMetrics(metrics, database.pool);
  const server = await serveSubgraph<Context>(
    {
      name: subgraph.name,
      typeDefs: subgraph.typeDefs,
      resolvers: subgraph.resolvers,
      context: (request) => subgraph.context(request, client),
      checkReady: () => database.ping(),
      routes: typeof subgraph.routes === 'function' ? subgraph.routes(client) : subgraph.routes,
      prefixRoutes: typeof subgraph.prefixRoutes === 'function' ? subgraph.prefixRoutes(client) : subgraph.prefixRoutes,
      metrics,
      release: async () => {
        await background?.close();
        await client.$disconnect();
        await database.close();
      },
    },
    config.http,
    log,
  );
  return { ...server, queries: database.queries };
}

/**
 * Interactive transactions wait for a pooled connection and for row locks. Prisma's defaults (2 s to start,
 * 5 s to finish) fail healthy requests under bursts, when correctness already comes from locks and constraints.
 */
export const TRANSACTION_DEFAULTS = { maxWait: 10_000, timeout: 20_000 } as const;
