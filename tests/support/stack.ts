import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { listSubgraphs } from '@storefront/config';
import { ACCESS_TOKEN_DEFAULTS } from '@storefront/identity';
import { type SeedPlan } from '@storefront/seed-world';
import { createLogger } from '@storefront/telemetry';

export { postGraphQL };
export type { GraphQLResponse };
import { createTestDatabase, postGraphQL, seedTestDatabase, TEST_ROUTER_IDENTITY_KEYS, testSubgraphConfig, type GraphQLResponse, type TestViewer, type TestDatabase } from '@storefront/testing';
import { openDatabase } from '@storefront/prisma-tools';
import { type RunningSubgraph, type SubgraphConfig } from '@storefront/subgraph-runtime';
import { startRouter, type RouterConfig, type RunningRouter } from '@storefront/router';
import { SUPERGRAPH_PATH } from '@storefront/schema';

const silent = createLogger({ service: 'test', level: 'silent' });

/** How this stack's access tokens are signed: HS256 with a secret of its own, shared by accounts and the router. */
export interface StackAccessTokens {
  secret: string;
  issuer: string;
  audience: string;
}

/** The parts of subgraphs/accounts the stack uses (imported by path like every subgraph). */
interface AccountsModule {
  createAccessTokenIssuer(settings: {
    issuer: string;
    audience: string;
    ttlSeconds: number;
    refreshTtlSeconds: number;
    signing: { algorithm: 'HS256'; secret: KeyObject };
  }): { issue(user: { id: string; roles: TestViewer['roles'] }): Promise<{ token: string }> };
}

export interface TestStack {
  routerUrl: string;
  router: RunningRouter;
  /** The router's configuration (subgraph URLs, auth), e.g. to start a second replica. */
  routerConfig: RouterConfig;
  subgraphs: Record<string, RunningSubgraph>;
  /** Each subgraph's database, e.g. to start a second replica on it. */
  databaseUrls: Record<string, string>;
  /** SQL statements each subgraph sent while `work` ran. */
  countQueries(work: () => Promise<unknown>): Promise<Record<string, number>>;
  /** A GraphQL request to the router, optionally as a signed-in viewer (with an access token from accessTokenFor). */
  query(query: string, variables?: Record<string, unknown>, viewer?: TestViewer): Promise<GraphQLResponse>;
  /** A real access token for the viewer, exactly as accounts' logIn would issue it (scopes follow the roles). */
  accessTokenFor(viewer: TestViewer): Promise<string>;
  /** The key material of this stack's access tokens, for tests that forge bad ones. */
  accessTokens: StackAccessTokens;
  close(): Promise<void>;
}

/**
 * Every subgraph in the repository on its own fresh Postgres database, seeded from `plan`, and the router
 * serving the committed supergraph with routing URLs pointed at them: the real system, on ephemeral ports.
 */
export interface StackOptions {
  router?: Partial<RouterConfig>;
  runWorkers?: boolean;
  /**
   * Where subgraphs reach their databases instead of directly (a pooler such as PgBouncer): migrations and the
   * seed still go direct, as a deployment's migration job does, since they hold a session's advisory lock.
   */
  databaseUrl?: (directUrl: string) => string;
  /** Each subgraph's connection pool (default: testSubgraphConfig's). */
  databasePoolSize?: number;
}

export async function startStack(plan: SeedPlan, options: StackOptions = {}): Promise<TestStack> {
  const databases: TestDatabase[] = [];
  const subgraphs: Record<string, RunningSubgraph> = {};
  const databaseUrls: Record<string, string> = {};
  let router: RunningRouter | undefined;
  const close = async () => {
    await router?.close();
    await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.close()));
    await Promise.all(databases.map((database) => database.drop()));
  };
  const accessTokens: StackAccessTokens = { secret: randomBytes(32).toString('base64url'), ...ACCESS_TOKEN_DEFAULTS };
  const tokenSettings = {
    issuer: accessTokens.issuer,
    audience: accessTokens.audience,
    ttlSeconds: 900,
    refreshTtlSeconds: 3_600,
    signing: { algorithm: 'HS256' as const, secret: createSecretKey(Buffer.from(accessTokens.secret)) },
  };
  let accounts: AccountsModule | undefined;
  try {
    for (const pkg of listSubgraphs()) {
      // A subgraph without a database (operations reads Redis) ignores the database part of its config.
      const database = pkg.database ? await createTestDatabase(pkg.name) : undefined;
      if (database) databases.push(database);
      if (database) databaseUrls[pkg.name] = database.url;
      const module = (await import(`${pkg.dir}/src/index.ts`)) as {
        start(config: SubgraphConfig, logger: typeof silent, options?: object): Promise<RunningSubgraph>;
      };
      const startOptions = pkg.name === 'accounts' ? { accessTokens: tokenSettings } : undefined;
      if (pkg.name === 'accounts') accounts = module as unknown as AccountsModule;
      const pooled = database && options.databaseUrl;
      if (database && pooled) {
        const migrating = await openDatabase({ target: { kind: 'postgres', url: database.url }, migrationsDir: pkg.migrationsDir, migrate: true, poolSize: 1 });
        await migrating.close();
        await seedTestDatabase(pkg.seedPath, pkg.migrationsDir, database.url, plan);
      }
      // runWorkers: each subgraph hosts its service's workers (relay, consumers, jobs) on QUEUE_PREFIX, as in development.
      const config = {
        ...testSubgraphConfig(database ? (pooled ? pooled(database.url) : database.url) : ''),
        runWorkers: options.runWorkers ?? false,
        ...(pooled ? { migrateOnStart: false } : {}),
        ...(options.databasePoolSize ? { databasePoolSize: options.databasePoolSize } : {}),
      };
      subgraphs[pkg.name] = await module.start(config, silent, startOptions);
      if (database && !pooled) await seedTestDatabase(pkg.seedPath, pkg.migrationsDir, database.url, plan);
    }
    const routerConfig: RouterConfig = {
      nodeEnv: 'test',
      host: '127.0.0.1',
      port: 0,
      supergraphPath: SUPERGRAPH_PATH,
      subgraphUrls: Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.url])),
      subgraphTimeoutMs: 10_000,
      overrideLabels: [],
      maxBodyBytes: 1_000_000,
      logLevel: 'silent',
      logFormat: 'json',
      auth: {
        accessTokens: { keys: { kind: 'secret', secret: accessTokens.secret }, issuer: accessTokens.issuer, audience: accessTokens.audience, clockSkewSeconds: 5 },
        identityKey: TEST_ROUTER_IDENTITY_KEYS.privateKey,
      },
      ...options.router,
    };
    router = await startRouter(routerConfig, silent);
    if (!accounts) throw new Error('the stack needs the accounts subgraph to issue access tokens');
    const issuer = accounts.createAccessTokenIssuer(tokenSettings);
    const accessTokenFor = async (viewer: TestViewer) => (await issuer.issue({ id: viewer.userId, roles: viewer.roles })).token;
    const running = router;
    while (!running.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      routerUrl: running.url,
      router: running,
      routerConfig,
      subgraphs,
      databaseUrls,
      async countQueries(work) {
        const before = Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.queries.count]));
        await work();
        return Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.queries.count - before[name]!]));
      },
      query: async (query, variables, viewer) =>
        postGraphQL(running.url, { query, variables }, { token: viewer ? await accessTokenFor(viewer) : undefined }),
      accessTokenFor,
      accessTokens,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
