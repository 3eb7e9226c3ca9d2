import { readFileSync } from 'node:fs';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { withSharedTypes } from '@storefront/api-conventions';
import { subgraphPackage } from '@storefront/config';
import { hostedWorkers, type ServiceWorkersFactory, type WorkerDatabase } from '@storefront/events';
import { runMain, type IncomingRequest, type RequestContext, type RouteHandler } from '@storefront/http-host';
import { createLogger, createMetricsRegistry, defaultLogFormat, startTelemetry, type Logger, type Registry } from '@storefront/telemetry';
import { parse, type DocumentNode } from 'graphql';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph } from './prisma-subgraph.ts';
import { loadSubgraphConfig, type SubgraphConfig } from './subgraph-config.ts';
import type { SubgraphResolvers } from './subgraph-host.ts';

/** What a subgraph's own resources get while they open: its configuration, logger, metrics and lifecycle. */
export interface SubgraphScope<Client, Options> {
  /** The subgraph's declared name (queues, Redis topics and logs are named after it). */
  name: string;
  config: SubgraphConfig;
  log: Logger;
  /** The registry the subgraph serves at /metrics: resources may register metrics of their own on it. */
  metrics: Registry;
  /** What the caller passed to `start` (tests inject queues, keys, providers; main passes what it read from the environment). */
  options: Options;
  /** The subgraph's Prisma client. Callable once the database is open, so resources keep the function, not the client. */
  client(): Client;
  /**
   * Closes `resource` when the subgraph stops, and when start-up fails after it opened. `after-drain` (the default)
   * waits until requests in flight have finished; `before-drain` runs first, for streams whose subscribers must
   * be told the stream ended before the server stops accepting.
   */
  closes<R extends { close(): Promise<unknown> | unknown } | undefined>(resource: R, when?: 'before-drain' | 'after-drain'): R;
}

type Closable = { close(): Promise<unknown> | unknown };

/** The few lines that make one subgraph different from another; the boot sequence is the same for all. */
export interface SubgraphModule<Client extends WorkerDatabase & { $disconnect(): Promise<void> }, Context extends RequestContext, Resources, Options, Extra> {
  /** `import.meta.url` of the subgraph's entry module: its package.json declares name and port, src/schema.graphql beside it. */
  entry: string;
  /** The subgraph's database module (`import * as database from './database.ts'`): its generated client and migrations. */
  database: {
    MIGRATIONS_DIR: string;
    PrismaClient: new (options: { adapter: SqlDriverAdapterFactory; transactionOptions: typeof TRANSACTION_DEFAULTS }) => Client;
  };
  resolvers: SubgraphResolvers<Context>;
  /** The service's workers (outbox relay, consumers, jobs), hosted in this process only when RUN_WORKERS is on. */
  workers?: ServiceWorkersFactory<Client>;
  /** Instead of `workers`, for workers that share one of the process's resources (payments: the provider). */
  workersOf?: (resources: Resources) => ServiceWorkersFactory<Client>;
  /** Opens what the subgraph needs beside its database (change feeds, key material, providers). */
  open?: (scope: SubgraphScope<Client, Options>) => Promise<Resources> | Resources;
  /** Per-request context: usually the client plus fresh DataLoaders. */
  context(request: IncomingRequest, client: Client, resources: Resources): Context;
  /** Extra open HTTP routes (accounts publishes its JWKS). */
  routes?: (client: Client, resources: Resources) => Record<string, RouteHandler>;
  /** Open routes for every path under a prefix ending in '/' (orders serves signed downloads under /files/). */
  prefixRoutes?: (client: Client, resources: Resources) => Record<string, RouteHandler>;
  /** What the running subgraph exposes beside its server (payments: the provider tests inspect). */
  expose?: (resources: Resources) => Extra;
  /** Checked once the SDL is read, before anything opens (accounts: every personal field has a privacy rule). */
  checkSchema?: (typeDefs: DocumentNode) => void;
}

export interface Subgraph<Options, Extra> {
  name: string;
  /** Default port in local development, from the package's declaration. */
  port: number;
  /** The SDL served and composed: the subgraph's schema.graphql with the shared value types. */
  typeDefs: DocumentNode;
  start(config: SubgraphConfig, logger?: Logger, options?: Options): Promise<RunningSubgraph & Extra>;
  /** The process entry: telemetry, configuration from the environment, signals and shutdown. */
  main(options?: () => Options | Promise<Options>): void;
}

/**
 * The subgraph a module belongs to: name and port from its package.json "subgraph" block, and the SDL it serves
 * (its src/schema.graphql with the shared value types).
 */
export function declaredSubgraph(entry: string): { name: string; port: number; typeDefs: DocumentNode } {
  let dir = path.dirname(fileURLToPath(entry));
  for (;;) {
    const declared = subgraphPackage(dir);
    if (declared) return { name: declared.name, port: declared.port, typeDefs: parse(withSharedTypes(readFileSync(declared.sdlPath, 'utf8'))) };
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${entry} is not inside a package that declares "subgraph": { "name", "port" }`);
    dir = parent;
  }
}

export function defineSubgraph<Client extends WorkerDatabase & { $disconnect(): Promise<void> }, Context extends RequestContext, Resources = undefined, Options = Record<string, never>, Extra = object>(
  module: SubgraphModule<Client, Context, Resources, Options, Extra>,
): Subgraph<Options, Extra> {
  const { name, port, typeDefs } = declaredSubgraph(module.entry);
  const { routes, prefixRoutes } = module;
  module.checkSchema?.(typeDefs);

  async function start(config: SubgraphConfig, logger?: Logger, options: Options = {} as Options): Promise<RunningSubgraph & Extra> {
    const log = logger ?? createLogger({ service: name, level: config.logLevel, format: defaultLogFormat(config.http.nodeEnv, config.logFormat) });
    const metrics = createMetricsRegistry(name);
    const beforeDrain: Closable[] = [];
    const afterDrain: Closable[] = [];
    let client: Client | undefined;
    const closeAll = async (list: Closable[]) => {
      // Last opened, first closed: a resource may depend on one opened before it.
      for (const resource of [...list].reverse()) await resource.close();
    };
    const scope: SubgraphScope<Client, Options> = {
      name,
      config,
      log,
      metrics,
      options,
      client: () => {
        if (!client) throw new Error(`${name}: the database is not open yet`);
        return client;
      },
      closes: (resource, when = 'after-drain') => {
        if (resource) (when === 'before-drain' ? beforeDrain : afterDrain).push(resource);
        return resource;
      },
    };
    try {
      const resources = (await module.open?.(scope)) as Resources;
      const workers = module.workersOf?.(resources) ?? module.workers;
      const running = await startPrismaSubgraph<Client, Context>(
        {
          name,
          typeDefs,
          resolvers: module.resolvers,
          metrics,
          migrationsDir: module.database.MIGRATIONS_DIR,
          createClient: (adapter) => (client = new module.database.PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS })),
          background: workers ? hostedWorkers(name, workers) : undefined,
          context: (request, prisma) => module.context(request, prisma, resources),
          routes: routes && ((prisma) => routes(prisma, resources)),
          prefixRoutes: prefixRoutes && ((prisma) => prefixRoutes(prisma, resources)),
        },
        config,
        log,
      );
      let closing: Promise<void> | undefined;
      return {
        ...running,
        ...(module.expose?.(resources) as Extra),
        close: () =>
          (closing ??= closeAll(beforeDrain)
            .then(() => running.close())
            .finally(() => closeAll(afterDrain))),
      };
    } catch (error) {
      await closeAll([...afterDrain, ...beforeDrain]).catch((closeError: unknown) => log.error({ err: closeError }, 'closing after a failed start'));
      throw error;
    }
  }

  return {
    name,
    port,
    typeDefs,
    start,
    main(options) {
      startTelemetry(name);
      runMain(name, async () => start(loadSubgraphConfig(name, port), undefined, options ? await options() : undefined));
    },
  };
}
