import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_DEFAULTS } from '@storefront/identity';
import { type SeedPlan } from '@storefront/seed-world';
import { createLogger } from '@storefront/telemetry';
import { startTestSubgraph, TEST_ROUTER_IDENTITY_KEYS, type TestSubgraph } from '@storefront/testing';
import { CACHING_OFF, startRouter, type RouterConfig, type RunningRouter } from '@storefront/router';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { start as startCatalog } from '../../subgraphs/catalog/src/index.ts';
import { start as startInventory } from '../../subgraphs/inventory/src/index.ts';

/** A handful of products in one warehouse: enough for a federated query to cross two subgraphs. */
export const TINY_PLAN: SeedPlan = { users: 2, categories: 2, products: 3, warehouses: 1, orders: 0, wishlistItemsPerUser: 0 };

/** catalog → inventory, the smallest federated query with an entity fetch (and SQL on both sides). */
export const PRODUCTS_WITH_STOCK = 'query ProductsWithStock { products(first: 3) { edges { node { name stock { available } } } } }';

export interface TwoSubgraphStack {
  router: RunningRouter;
  catalog: TestSubgraph;
  inventory: TestSubgraph;
  close(): Promise<void>;
}

const silent = createLogger({ service: 'observability-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The router in front of catalog and inventory only, each on its own Postgres database, all in this process. */
export async function startTwoSubgraphStack(): Promise<TwoSubgraphStack> {
  const catalog = await startTestSubgraph(fileURLToPath(new URL('../../subgraphs/catalog', import.meta.url)), startCatalog, TINY_PLAN);
  let inventory: TestSubgraph | undefined;
  let router: RunningRouter | undefined;
  try {
    inventory = await startTestSubgraph(fileURLToPath(new URL('../../subgraphs/inventory', import.meta.url)), startInventory, TINY_PLAN);
    const secret = randomBytes(32).toString('base64url');
    const config: RouterConfig = {
      nodeEnv: 'test',
      host: '127.0.0.1',
      port: 0,
      supergraphPath: SUPERGRAPH_PATH,
      subgraphUrls: { catalog: catalog.subgraph.url, inventory: inventory.subgraph.url },
      subgraphTimeoutMs: 10_000,
      overrideLabels: [],
      maxBodyBytes: 1_000_000,
      logLevel: 'silent',
      logFormat: 'json',
      // The query-plan cache, so cache hit/miss metrics have something to count; its keys expire on their own.
      cache: { ...CACHING_OFF, queryPlans: true, keyPrefix: `sf-test-observability:${randomUUID()}:`, queryPlanTtlSeconds: 60 },
      auth: {
        accessTokens: { keys: { kind: 'secret', secret }, ...ACCESS_TOKEN_DEFAULTS, clockSkewSeconds: 5 },
        identityKey: TEST_ROUTER_IDENTITY_KEYS.privateKey,
      },
    };
    router = await startRouter(config, silent);
    while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  } catch (error) {
    await router?.close();
    await inventory?.close();
    await catalog.close();
    throw error;
  }
  const running = { router, catalog, inventory };
  return {
    ...running,
    async close() {
      await running.router.close();
      await Promise.all([running.catalog.close(), running.inventory.close()]);
    },
  };
}

/** Spans and metrics are recorded when responses finish, a moment after the client has them: poll for them. */
export { waitFor as eventually } from '@storefront/testing';

/** The values of the samples of `name` in Prometheus text whose labels include `labels` (any order, others allowed). */
export function samples(text: string, name: string, labels: Record<string, string | RegExp> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const wanted = Object.entries(labels).every(([key, value]) => {
      const actual = found[key];
      return actual !== undefined && (typeof value === 'string' ? actual === value : value.test(actual));
    });
    if (wanted) values.push(Number(match[3]));
  }
  return values;
}

/** The sum of those samples (0 when there are none). */
export const total = (text: string, name: string, labels: Record<string, string | RegExp> = {}): number =>
  samples(text, name, labels).reduce((sum, value) => sum + value, 0);
