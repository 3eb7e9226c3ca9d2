import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedProduct, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { postGraphQL } from '@storefront/testing';
import { CACHING_OFF, startRouter, type CacheConfig, type RouterConfig, type RunningRouter } from '@storefront/router';
import { startStack, type TestStack } from './support/stack.ts';
import { deleteTestKeys, publishTestMessage, TEST_ROUTER_REDIS, UNREACHABLE_REDIS } from './support/test-redis.ts';

/*
 * The router's caches against the real stack and a real Redis, under a key prefix of this run's own (deleted
 * afterwards). Each test reads the caches' counters and the subgraphs' SQL counts to tell hits from misses.
 */

const PLAN: SeedPlan = { users: 6, categories: 2, products: 12, warehouses: 2, orders: 30, wishlistItemsPerUser: 1 };
const PREFIX = `test:${randomUUID()}:`;
const admin = { userId: nameBasedUuid(SeedNamespace.user, 0), roles: ['ADMIN', 'CUSTOMER'] as const };
const customer = (i: number) => ({ userId: nameBasedUuid(SeedNamespace.user, i), roles: ['CUSTOMER'] as const });

const allCaches = (overrides: Partial<CacheConfig> = {}): CacheConfig => ({
  ...CACHING_OFF,
  ...TEST_ROUTER_REDIS,
  keyPrefix: PREFIX,
  // Generous: a loaded CI machine must not turn slow Redis answers into (fail-open) cache errors.
  redisCommandTimeoutMs: 2_000,
  apq: true,
  queryPlans: true,
  responses: true,
  entities: true,
  ...overrides,
});

let stack: TestStack;
const replicas: RunningRouter[] = [];
let workdir: string;

beforeAll(async () => {
  stack = await startStack(PLAN, { router: { cache: allCaches() } });
  workdir = await mkdtemp(path.join(tmpdir(), 'caching-test-'));
});

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await stack?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
  await deleteTestKeys(PREFIX);
});

/**
 * Another router on the same Redis, used once it has loaded the supergraph and its Redis answers: until then it
 * serves uncached (a cluster client discovers its slots first), which is not what these tests look at.
 */
async function replica(cache: CacheConfig, overrides: Partial<RouterConfig> = {}, { redisUp = true } = {}): Promise<RunningRouter> {
  const router = await startRouter({ ...stack.routerConfig, cache, ...overrides });
  replicas.push(router);
  const redisOf = async () => ((await (await fetch(router.url.replace('/graphql', '/ready'))).json()) as { redis?: string }).redis;
  await eventually(async () => router.isLoaded() && (!redisUp || (await redisOf()) === 'up'));
  return router;
}

const counter = (router: RunningRouter, cache: string, what: 'hits' | 'misses' | 'errors' | 'writes' | 'invalidations') =>
  router.cacheStats()[cache]?.[what] ?? 0;

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const anonymous = (router: RunningRouter, body: unknown) => postGraphQL(router.url, body);

describe('automatic persisted queries', () => {
  it('registers a query under its hash in Redis, then runs it by hash alone', async () => {
    const query = `query Apq { product(id: "${seedProduct(1, PLAN).id}") { name } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const unknown = await postGraphQL(stack.routerUrl, { extensions });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postGraphQL(stack.routerUrl, { query, extensions })).body.data).toEqual({ product: { name: expect.any(String) } });
    await eventually(async () => {
      const byHash = await postGraphQL(stack.routerUrl, { extensions });
      return typeof (byHash.body.data?.product as { name?: unknown } | undefined)?.name === 'string';
    });
    // Another replica knows it too: the registration is in Redis, not in one process.
    const other = await replica(allCaches({ responses: false }));
    expect((await anonymous(other, { extensions })).body.data).toEqual({ product: { name: expect.any(String) } });
    expect(counter(other, 'apq', 'hits')).toBeGreaterThan(0);
  });
});

describe('the operation safelist', () => {
  const LISTED = 'query Listed($id: ID!) { product(id: $id) { name price { amount } } }';
  const LISTED_ID = sha256(LISTED);
  let router: RunningRouter;

  beforeAll(async () => {
    const manifest = path.join(workdir, 'manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: LISTED_ID, name: 'Listed', type: 'query', body: LISTED }] }),
    );
    router = await replica(allCaches({ safelistPath: manifest, responses: false }));
  });

  it('runs listed operations by body and by id, without registering them first', async () => {
    const id = seedProduct(2, PLAN).id;
    expect((await anonymous(router, { query: LISTED, variables: { id } })).body.data).toEqual({ product: { name: expect.any(String), price: { amount: seedProduct(2, PLAN).priceCents } } });
    const byId = await anonymous(router, { extensions: { persistedQuery: { version: 1, sha256Hash: LISTED_ID } }, variables: { id }, operationName: 'Listed' });
    expect(byId.body.data).toEqual({ product: { name: expect.any(String), price: { amount: seedProduct(2, PLAN).priceCents } } });
  });

  it('refuses anything else with PERSISTED_QUERY_NOT_IN_SAFELIST and 400', async () => {
    for (const body of [
      { query: '{ products(first: 1) { edges { node { name } } } }' },
      { query: `${LISTED} ` },
      { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } } },
    ]) {
      const refused = await anonymous(router, body);
      expect(refused.status).toBe(400);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_SAFELIST']);
    }
  });

  it('warms the query plan cache with the listed operations at start, and is ready once they are planned', async () => {
    const replicaWithWarmPlans = await replica(allCaches({ safelistPath: path.join(workdir, 'manifest.json'), responses: false, keyPrefix: `${PREFIX}warm:` }));
    const ready = () => fetch(replicaWithWarmPlans.url.replace('/graphql', '/ready'));
    await eventually(async () => (await ready()).status === 200);
    expect(await (await ready()).json()).toMatchObject({ status: 'ok', supergraph: 'loaded', queryPlans: 'warm' });
    expect(counter(replicaWithWarmPlans, 'queryPlansShared', 'writes')).toBeGreaterThan(0);
    const missesBefore = counter(replicaWithWarmPlans, 'queryPlans', 'misses');
    await anonymous(replicaWithWarmPlans, { query: LISTED, variables: { id: seedProduct(3, PLAN).id }, operationName: 'Listed' });
    expect(counter(replicaWithWarmPlans, 'queryPlans', 'misses')).toBe(missesBefore);
  });
});

describe('the shared query plan cache', () => {
  it('gives a second router the plan the first one made, and the plan read back from Redis executes identically', async () => {
    // Catalog, inventory (@requires) and reviews (@interfaceObject): a plan with sequences, flattens and rewrites.
    const query = `query PlanShared_${randomUUID().replace(/-/g, '')}($id: ID!) {
      product(id: $id) {
        name price { amount currency } category { name }
        stock { available } shippingEstimate(country: "FR") { cost { amount } carrier }
        averageRating reviewCount reviews(first: 2) { edges { node { rating author { name } } } }
      }
    }`;
    const variables = { id: seedProduct(4, PLAN).id };
    const first = await replica(allCaches({ responses: false, entities: false }));
    const second = await replica(allCaches({ responses: false, entities: false }));
    const original = await anonymous(first, { query, variables });
    expect(original.body.errors).toBeUndefined();
    await eventually(() => counter(first, 'queryPlansShared', 'writes') > 0);
    const sharedHitsBefore = counter(second, 'queryPlansShared', 'hits');
    const fromRedis = await anonymous(second, { query, variables });
    expect(counter(second, 'queryPlansShared', 'hits')).toBe(sharedHitsBefore + 1);
    expect(fromRedis.body).toEqual(original.body);
  });
});

describe('the response cache', () => {
  it('answers a repeated public query from Redis without asking any subgraph', async () => {
    const query = `{ product(id: "${seedProduct(5, PLAN).id}") { name price { amount } category { name } reviewCount } }`;
    const first = await stack.query(query);
    const hitsBefore = counter(stack.router, 'responses', 'hits');
    let second: Awaited<ReturnType<TestStack['query']>> | undefined;
    await eventually(async () => {
      const counts = await stack.countQueries(async () => {
        second = await stack.query(query);
      });
      return Object.values(counts).every((count) => count === 0);
    });
    expect(second?.body).toEqual(first.body);
    expect(counter(stack.router, 'responses', 'hits')).toBeGreaterThan(hitsBefore);
  });

  it("keeps one user's private data to that user: never served to another user or to anonymous callers", async () => {
    const query = '{ me { id name orders(first: 3) { edges { node { id number } } } } }';
    const a = customer(1);
    const b = customer(2);
    const first = await stack.query(query, {}, a);
    expect((first.body.data?.me as { id: string }).id).toBe(a.userId);
    // Cached for A: the repeat asks no subgraph.
    await eventually(async () => {
      const counts = await stack.countQueries(() => stack.query(query, {}, a));
      return counts.accounts === 0 && counts.orders === 0;
    });
    const forB = await stack.countQueries(async () => {
      const asB = await stack.query(query, {}, b);
      expect((asB.body.data?.me as { id: string }).id).toBe(b.userId);
      expect(JSON.stringify(asB.body)).not.toContain(a.userId);
    });
    expect(forB.accounts).toBeGreaterThan(0);
    const asAnonymous = await stack.query(query);
    expect(asAnonymous.body.data?.me ?? null).toBeNull();
    expect(JSON.stringify(asAnonymous.body)).not.toContain(a.userId);
  });

  it('does not cache what the hints give maxAge 0', async () => {
    const query = '{ cart { id } }';
    const viewer = customer(3);
    await stack.query(query, {}, viewer);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counts = await stack.countQueries(() => stack.query(query, {}, viewer));
    expect(counts.orders).toBeGreaterThan(0);
  });
});

describe('the entity cache', () => {
  const STOCK_LEVEL = 'query StockLevel($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { available product { name price { amount } } } }';
  const product = seedProduct(6, PLAN);
  const variables = { p: product.id, w: seedWarehouse(0).id };
  const priceOf = (response: Awaited<ReturnType<typeof anonymous>>) =>
    (response.body.data?.stockLevel as { product: { price: { amount: number } } }).product.price.amount;

  it('serves catalog entities from Redis, and drops them when a mutation through the router changes them', async () => {
    // Whole responses are not cached on this replica, so every request reaches the entity fetch.
    const router = await replica(allCaches({ responses: false }));
    const misses = counter(router, 'entities', 'misses');
    const first = await anonymous(router, { query: STOCK_LEVEL, variables });
    expect(first.body.errors).toBeUndefined();
    expect(priceOf(first)).toBe(product.priceCents);
    expect(counter(router, 'entities', 'misses')).toBe(misses + 1);

    await eventually(async () => (await stack.countQueries(() => anonymous(router, { query: STOCK_LEVEL, variables }))).catalog === 0);
    expect(counter(router, 'entities', 'hits')).toBeGreaterThan(0);

    const updated = await stack.query(
      'mutation ($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { product { id price { amount } } errors { code } } }',
      { id: product.id, amount: product.priceCents + 100 },
      admin,
    );
    expect(updated.body.errors).toBeUndefined();
    expect(counter(stack.router, 'entities', 'invalidations')).toBeGreaterThan(0);
    expect(priceOf(await anonymous(router, { query: STOCK_LEVEL, variables }))).toBe(product.priceCents + 100);
  });

  it('drops entities named on the invalidation channel', async () => {
    const router = await replica(allCaches({ responses: false }));
    await anonymous(router, { query: STOCK_LEVEL, variables });
    await eventually(async () => (await stack.countQueries(() => anonymous(router, { query: STOCK_LEVEL, variables }))).catalog === 0);
    await publishTestMessage(`${PREFIX}entity-invalidation`, JSON.stringify({ subgraph: 'catalog', type: 'Product', key: { id: product.id } }));
    await eventually(async () => ((await stack.countQueries(() => anonymous(router, { query: STOCK_LEVEL, variables }))).catalog ?? 0) > 0);
  });
});

describe('without Redis', () => {
  it('keeps answering, uncached, and counts the failures', async () => {
    const router = await replica(allCaches({ ...UNREACHABLE_REDIS, keyPrefix: `${PREFIX}down:` }), {}, { redisUp: false });
    const query = `{ product(id: "${seedProduct(7, PLAN).id}") { name stock { available } } }`;
    for (let i = 0; i < 2; i += 1) {
      const { status, body } = await anonymous(router, { query });
      expect(status).toBe(200);
      expect(body.data).toEqual({ product: { name: expect.any(String), stock: { available: expect.any(Number) } } });
    }
    const stats = router.cacheStats();
    expect((stats.queryPlansShared?.errors ?? 0) + (stats.responseStore?.errors ?? 0)).toBeGreaterThan(0);
  });
});
