import { createLogger, listSubgraphs, type SeedPlan, type Viewer } from '@storefront/common';

export { postGraphQL };
export type { GraphQLResponse };
import {
  createTestDatabase,
  postGraphQL,
  seedTestDatabase,
  testSubgraphConfig,
  type GraphQLResponse,
  type RunningSubgraph,
  type SubgraphConfig,
  type TestDatabase,
} from '@storefront/prisma-tools';
import { startRouter, type RouterConfig, type RunningRouter } from '@storefront/router';
import { SUPERGRAPH_PATH } from '@storefront/schema';

const silent = createLogger({ service: 'test', level: 'silent' });

export interface TestStack {
  routerUrl: string;
  router: RunningRouter;
  subgraphs: Record<string, RunningSubgraph>;
  /** SQL statements each subgraph sent while `work` ran. */
  countQueries(work: () => Promise<unknown>): Promise<Record<string, number>>;
  /** A GraphQL request to the router, optionally as a signed-in viewer. */
  query(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/**
 * Every subgraph in the repository on its own fresh Postgres database, seeded from `plan`, and the router
 * serving the committed supergraph with routing URLs pointed at them: the real system, on ephemeral ports.
 */
export async function startStack(plan: SeedPlan): Promise<TestStack> {
  const databases: TestDatabase[] = [];
  const subgraphs: Record<string, RunningSubgraph> = {};
  let router: RunningRouter | undefined;
  const close = async () => {
    await router?.close();
    await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.close()));
    await Promise.all(databases.map((database) => database.drop()));
  };
  try {
    for (const pkg of listSubgraphs()) {
      const database = await createTestDatabase(pkg.name);
      databases.push(database);
      const module = (await import(`${pkg.dir}/src/index.ts`)) as {
        start(config: SubgraphConfig, logger: typeof silent): Promise<RunningSubgraph>;
      };
      subgraphs[pkg.name] = await module.start(testSubgraphConfig(database.url), silent);
      await seedTestDatabase(pkg.seedPath, pkg.migrationsDir, database.url, plan);
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
    };
    router = await startRouter(routerConfig, silent);
    const running = router;
    while (!running.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      routerUrl: running.url,
      router: running,
      subgraphs,
      async countQueries(work) {
        const before = Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.queries.count]));
        await work();
        return Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s.queries.count - before[name]!]));
      },
      query: (query, variables, viewer) => postGraphQL(running.url, { query, variables }, { viewer }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
