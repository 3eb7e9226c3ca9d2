import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedOrder, seedProduct, type SeedPlan } from '@storefront/seed-world';
import { createLogger } from '@storefront/telemetry';
import type { TestViewer } from '@storefront/testing';
import { DEFAULT_CIRCUIT_BREAKER, startRouter, type RouterConfig, type RunningRouter } from '@storefront/router';
import { postGraphQL, startStack, type TestStack } from './support/stack.ts';
import { ORDER_HISTORY, PRODUCT_PAGE } from './support/storefront-operations.ts';
import { deleteTestKeys, TEST_ROUTER_REDIS, UNREACHABLE_REDIS } from './support/test-redis.ts';

/*
 * The router's protections on the whole store: query cost and depth limits with the supergraph's @cost /
 * @listSize, rate limits in the real Redis, CSRF prevention, masked internal errors, and a circuit breaker
 * around a subgraph that cannot be reached.
 */

const PLAN: SeedPlan = { users: 20, categories: 3, products: 40, warehouses: 2, orders: 60, wishlistItemsPerUser: 1 };
const KEY_PREFIX = `test:${randomUUID()}:`;
// Long enough that a slow CI machine sends a burst well inside one window.
const WINDOW_MS = 4_000;
const silent = createLogger({ service: 'test', level: 'silent' });
const customer = (i: number): TestViewer => ({ userId: nameBasedUuid(SeedNamespace.user, i), roles: ['CUSTOMER'] });

const protection = (overrides: { redisUrl?: string; redisClusterNodes?: undefined; perIp?: number; perUser?: number } = {}): RouterConfig['protection'] => ({
  queryLimits: { maxCost: 5_000, maxDepth: 15, defaultListSize: 10, costWithoutHints: false },
  rateLimit: { perIp: 5, perUser: 3, windowMs: WINDOW_MS, trustedProxyHops: 1, ...TEST_ROUTER_REDIS, keyPrefix: KEY_PREFIX, redisCommandTimeoutMs: 2_000, ...overrides },
  circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, failureThreshold: 2, cooldownMs: 60_000 },
});

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack(PLAN, { router: { protection: protection() } });
});
afterAll(async () => {
  await stack?.close();
  await deleteTestKeys(KEY_PREFIX);
});

/** Each anonymous call comes from an address of its own (through the trusted proxy), so limits never interfere. */
let nextAddress = 1;
const freshAddress = () => `198.51.100.${nextAddress++}`;
const anonymous = (query: string, variables: Record<string, unknown> = {}, address = freshAddress()) =>
  postGraphQL(stack.routerUrl, { query, variables }, { headers: { 'x-forwarded-for': address } });

describe('query cost and depth limits', () => {
  it("answers the storefront's product page and order history", async () => {
    const page = await anonymous(PRODUCT_PAGE, { id: seedProduct(1, PLAN).id });
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data?.product).toMatchObject({ sku: seedProduct(1, PLAN).sku });
    const history = await stack.query(ORDER_HISTORY, {}, customer(seedOrder(0, PLAN).userIndex));
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data?.me).toBeTruthy();
  });

  it('refuses a page of pages with 400 COST_ESTIMATED_TOO_EXPENSIVE, before any subgraph is asked', async () => {
    let answer: Awaited<ReturnType<typeof anonymous>> | undefined;
    const statements = await stack.countQueries(async () => {
      answer = await anonymous('{ products(first: 100) { edges { node { name reviews(first: 100) { edges { node { title author { name } } } } } } } }');
    });
    expect(answer?.status).toBe(400);
    const extensions = answer?.body.errors?.[0]?.extensions;
    expect(extensions?.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
    // products 1 + 100 × (edge 1 + node 1 + reviews 1 + 100 × (edge 1 + node 1 + author 1)) = 30,301
    expect(extensions?.cost).toEqual({ estimated: 30_301, max: 5_000 });
    expect(Object.values(statements).every((count) => count === 0)).toBe(true);
  });

  it('uses variables for list sizes: the same query is fine with a small page and refused with a big one', async () => {
    const query = 'query ($n: Int) { products(first: $n) { edges { node { name reviews(first: $n) { edges { node { title } } } } } } }';
    expect((await anonymous(query, { n: 5 })).body.errors).toBeUndefined();
    expect((await anonymous(query, { n: 80 })).body.errors?.[0]?.extensions?.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
  });

  it('refuses an operation nested deeper than 15 with 400 QUERY_TOO_DEEP', async () => {
    const loop = 'reviews(first: 1) { edges { node { author { ';
    const close = ' } } } }';
    const { status, body } = await anonymous(`query ($id: ID!) { product(id: $id) { ${loop.repeat(4)}name${close.repeat(4)} } }`, { id: seedProduct(1, PLAN).id });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 18, maxDepth: 15 });
  });
});

describe('rate limits', () => {
  async function rawPost(headers: Record<string, string>) {
    const response = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> } };
  }

  it('answers 429 RATE_LIMITED with Retry-After past the per-IP limit; other addresses and signed-in users keep their own budgets; the window resets', async () => {
    const address = freshAddress();
    for (let i = 0; i < 5; i += 1) expect((await rawPost({ 'x-forwarded-for': address })).status).toBe(200);
    const refused = await rawPost({ 'x-forwarded-for': address });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await rawPost({ 'x-forwarded-for': freshAddress() })).status).toBe(200);
    const token = await stack.accessTokenFor(customer(7));
    expect((await rawPost({ 'x-forwarded-for': address, authorization: `Bearer ${token}` })).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100));
    expect((await rawPost({ 'x-forwarded-for': address })).status).toBe(200);
  });

  it('limits each signed-in user on their own counter, wherever they come from', async () => {
    const ada = await stack.accessTokenFor(customer(11));
    for (let i = 0; i < 3; i += 1) expect((await rawPost({ 'x-forwarded-for': freshAddress(), authorization: `Bearer ${ada}` })).status).toBe(200);
    const refused = await rawPost({ 'x-forwarded-for': freshAddress(), authorization: `Bearer ${ada}` });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const grace = await stack.accessTokenFor(customer(12));
    expect((await rawPost({ 'x-forwarded-for': freshAddress(), authorization: `Bearer ${grace}` })).status).toBe(200);
  });
});

describe('cross-site requests', () => {
  it('refuses a simple GET and a text/plain POST (CSRF prevention)', async () => {
    const get = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'x-forwarded-for': freshAddress() } });
    expect(get.status).toBe(400);
    const post = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-forwarded-for': freshAddress() }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(post.status).toBe(400);
  });
});

describe('a subgraph that cannot be reached, with Redis down too', () => {
  let degraded: RunningRouter;
  beforeAll(async () => {
    degraded = await startRouter(
      {
        ...stack.routerConfig,
        port: 0,
        // Nothing listens on port 1: every call to reviews fails to connect.
        subgraphUrls: { ...stack.routerConfig.subgraphUrls, reviews: 'http://127.0.0.1:1/graphql' },
        // Redis is unreachable: the per-IP limit of 1 is counted in the router's memory (each ask below is a new address).
        protection: protection({ ...UNREACHABLE_REDIS, perIp: 1 }),
      },
      silent,
    );
    while (!degraded.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(() => degraded?.close());

  it('answers the rest of the query with a typed error at the missing field, without naming hosts, then opens the circuit', async () => {
    const query = 'query ($id: ID!) { product(id: $id) { sku averageRating } }';
    const variables = { id: seedProduct(2, PLAN).id };
    const ask = async () => {
      const response = await fetch(degraded.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': freshAddress() }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, requestId: response.headers.get('x-request-id'), text: await response.text() };
    };
    for (let i = 0; i < 2; i += 1) {
      const { status, text } = await ask();
      expect(status).toBe(200);
      const body = JSON.parse(text) as { data: { product: unknown }; errors: Array<{ message: string; path?: unknown; extensions: Record<string, unknown> }> };
      expect(body.data.product).toEqual({ sku: seedProduct(2, PLAN).sku, averageRating: null });
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toMatchObject({ path: ['product'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'reviews' } });
      expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch failed/);
    }
    const open = JSON.parse((await ask()).text) as { data: { product: unknown }; errors: Array<{ extensions: Record<string, unknown> }> };
    expect(open.data.product).toEqual({ sku: seedProduct(2, PLAN).sku, averageRating: null });
    expect(open.errors[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'reviews' });
  });
});
