import { createHash, randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SEED_DEMO_PASSWORD, SeedNamespace, seedProduct, type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { CACHING_OFF, DEFAULT_PROTECTION, type CacheConfig, type RouterConfig } from '@storefront/router';
import { CLOSE_AFTER_IDLE_MS, createJobWorker, openQueue, QueueHandles } from '@storefront/events';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.ts';
import { postGraphQL, startStack, type TestStack } from './support/stack.ts';

/*
 * Redis can never hold a request. The whole stack (router with every cache, APQ and rate limits on, accounts'
 * login throttle, orders' and catalog's job queues) on a redis-server of this test's own, which the test freezes
 * with SIGSTOP: the server keeps its connections and the kernel keeps accepting new ones, but nothing answers.
 * That is the fault neither "connection refused" nor node-redis's command timeout covers; before the deadlines
 * every request waited until Redis resumed (here: forever, as the test thaws it only afterwards). Times are bounded
 * far above the deadlines (150 ms in the router, 500 ms for the login throttle, 1 s for adding a job) and the
 * work itself on a loaded 2-core machine, and far below "until Redis resumes".
 */

const PLAN: SeedPlan = { users: 4, categories: 2, products: 8, warehouses: 1, orders: 6, wishlistItemsPerUser: 1 };
const BOUND_MS = 8_000;
const ROUTER_DEADLINE_MS = 150;
const PREFIX = `test-frozen:${randomUUID()}:`;
const customer = { userId: nameBasedUuid(SeedNamespace.user, 1), roles: ['CUSTOMER'] as const };
const admin = { userId: nameBasedUuid(SeedNamespace.user, 0), roles: ['ADMIN', 'CUSTOMER'] as const };

const PRODUCT_PAGE = `query FrozenProductPage($id: ID!) { product(id: $id) { name price { amount currency } category { name } inStock reviewCount } }`;
const product = seedProduct(2, PLAN);

let redis: PrivateRedis;
let stack: TestStack;
const savedEnv = { REDIS_URL: process.env.REDIS_URL, QUEUE_PREFIX: process.env.QUEUE_PREFIX };

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The subgraphs read their Redis (login throttle, job queues) from the environment when they start.
  process.env.REDIS_URL = redis.url;
  process.env.QUEUE_PREFIX = `test-frozen-${randomUUID()}`;
  const cache: CacheConfig = { ...CACHING_OFF, redisUrl: redis.url, keyPrefix: PREFIX, redisCommandTimeoutMs: ROUTER_DEADLINE_MS, apq: true, queryPlans: true, responses: true, entities: true };
  const protection: NonNullable<RouterConfig['protection']> = {
    ...DEFAULT_PROTECTION,
    rateLimit: { perIp: 10_000, perUser: 10_000, windowMs: 60_000, trustedProxyHops: 0, redisUrl: redis.url, keyPrefix: PREFIX, redisCommandTimeoutMs: ROUTER_DEADLINE_MS },
  };
  stack = await startStack(PLAN, { router: { cache, protection } });
  await waitFor(async () => (await readiness()).redis === 'up', 'the router to reach its Redis', 10_000);
});

afterEach(() => redis.thaw());

afterAll(async () => {
  redis?.thaw();
  await stack?.close();
  await redis?.stop();
  // Later test files in this worker must find the environment as it was.
  if (savedEnv.REDIS_URL === undefined) delete process.env.REDIS_URL;
  else process.env.REDIS_URL = savedEnv.REDIS_URL;
  if (savedEnv.QUEUE_PREFIX === undefined) delete process.env.QUEUE_PREFIX;
  else process.env.QUEUE_PREFIX = savedEnv.QUEUE_PREFIX;
});

/** The router's /ready: its HTTP status and what it reports about Redis. */
async function readiness(): Promise<{ status: number; redis?: string }> {
  const response = await fetch(stack.routerUrl.replace('/graphql', '/ready'));
  const body = (await response.json()) as { redis?: string };
  return { status: response.status, redis: body.redis };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const responseHits = () => stack.router.cacheStats().responses?.hits ?? 0;
const cacheErrors = () => Object.values(stack.router.cacheStats()).reduce((sum, counters) => sum + counters.errors, 0);
const productPage = () => stack.query(PRODUCT_PAGE, { id: product.id });

describe('the router while its Redis is frozen', () => {
  it('answers queries uncached within the deadline, APQ included, stays ready, and caches again once Redis answers', async () => {
    // Warm: the second read is a response-cache hit, and an APQ hash is registered.
    const expected = (await productPage()).body.data as { product: { name: string } } | undefined;
    expect(expected?.product).toMatchObject({ name: expect.any(String), price: { amount: product.priceCents } });
    const name = expected!.product.name;
    const hitsBefore = responseHits();
    await productPage();
    expect(responseHits()).toBe(hitsBefore + 1);
    const apqQuery = `query FrozenApq { product(id: "${product.id}") { name } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(apqQuery) } };
    expect((await postGraphQL(stack.routerUrl, { query: apqQuery, extensions })).body.data).toEqual({ product: { name } });

    redis.freeze();
    const first = await timed(productPage);
    expect(first.ms).toBeLessThan(BOUND_MS);
    expect(first.value.body.data).toEqual(expected);
    // A burst, anonymous and signed in (rate limits per address and per user), all answered, none from the cache.
    const errorsBefore = cacheErrors();
    const burst = await timed(() => Promise.all([...Array.from({ length: 4 }, productPage), stack.query('{ me { id } }', {}, customer)]));
    expect(burst.ms).toBeLessThan(BOUND_MS);
    for (const { body } of burst.value.slice(0, 4)) expect(body.data).toEqual(expected);
    expect(burst.value[4]?.body.data).toEqual({ me: { id: customer.userId } });
    // Each skipped Redis call is counted (what /metrics reports as router_cache_errors_total).
    expect(cacheErrors()).toBeGreaterThan(errorsBefore);
    // APQ fails open as a miss: the hash alone is unknown, the client's retry with the text runs.
    const byHash = await timed(() => postGraphQL(stack.routerUrl, { extensions }));
    expect(byHash.ms).toBeLessThan(BOUND_MS);
    expect(byHash.value.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postGraphQL(stack.routerUrl, { query: apqQuery, extensions })).body.data).toEqual({ product: { name } });
    // Ready: Redis is reported, not required.
    const ready = await timed(readiness);
    expect(ready.ms).toBeLessThan(BOUND_MS);
    expect(ready.value).toEqual({ status: 200, redis: 'down' });

    redis.thaw();
    await waitFor(async () => (await readiness()).redis === 'up', 'the router to use Redis again', 10_000);
    await productPage();
    const hitsAfter = responseHits();
    await productPage();
    expect(responseHits()).toBe(hitsAfter + 1);
    expect((await postGraphQL(stack.routerUrl, { extensions })).body.data).toEqual({ product: { name } });
  });
});

describe('mutations while Redis is frozen', () => {
  it('places an order and signs in within the deadlines', async () => {
    redis.freeze();
    const order = await timed(() =>
      stack.query(
        'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { status } errors { code } } }',
        {
          input: {
            idempotencyKey: randomUUID(),
            items: [{ purchasableId: product.id, quantity: 1 }],
            shippingAddress: { name: 'Frozen Buyer', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
          },
        },
        customer,
      ),
    );
    expect(order.ms).toBeLessThan(BOUND_MS);
    expect(order.value.body).toEqual({ data: { placeOrder: { order: { status: 'PENDING' }, errors: [] } } });

    const login = await timed(() =>
      postGraphQL<{ logIn: { accessToken: string | null; errors: unknown[] } }>(stack.routerUrl, {
        query: 'mutation ($input: LogInInput!) { logIn(input: $input) { accessToken errors { code } } }',
        variables: { input: { email: 'admin@example.com', password: SEED_DEMO_PASSWORD } },
      }),
    );
    expect(login.ms).toBeLessThan(BOUND_MS);
    expect(login.value.body.errors).toBeUndefined();
    expect(login.value.body.data?.logIn).toMatchObject({ accessToken: expect.any(String), errors: [] });
  });

  it('refuses a job it cannot queue with a retryable SERVICE_UNAVAILABLE within the deadline, and queues it once Redis answers', async () => {
    const requestReport = () =>
      stack.query(
        'mutation ($input: RequestSalesReportInput!) { requestSalesReport(input: $input) { report { id status } errors { code } } }',
        { input: { from: '2020-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } },
        admin,
      );
    redis.freeze();
    const refused = await timed(requestReport);
    expect(refused.ms).toBeLessThan(BOUND_MS);
    expect(refused.value.status).toBe(200);
    expect(refused.value.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });

    redis.thaw();
    await waitFor(async () => (await requestReport()).body.errors === undefined, 'the report to be queued after the thaw', 10_000, 200);
  });
});

describe('a worker shut down while Redis is frozen', () => {
  it('closes within its idle deadline once its last job is done, instead of waiting on Redis forever', async () => {
    const queues = { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-frozen-close-${randomUUID()}` };
    const done: string[] = [];
    const worker = createJobWorker({ queue: 'close-while-frozen', queues, processor: async (job) => void done.push(String(job.id)) });
    const queue = openQueue('close-while-frozen', queues);
    try {
      await queue.add('one', {}, { jobId: 'one' });
      await waitFor(() => done.includes('one'), 'the job to run', 10_000);
      redis.freeze();
      // Without the deadline BullMQ's close waits for QUIT's answer (maxRetriesPerRequest: null), i.e. until the thaw.
      const closing = await timed(() => worker.close());
      expect(closing.ms).toBeGreaterThanOrEqual(CLOSE_AFTER_IDLE_MS - 500);
      expect(closing.ms).toBeLessThan(CLOSE_AFTER_IDLE_MS + BOUND_MS);
    } finally {
      redis.thaw();
      await queue.close();
    }
  }, 30_000);
});

describe('adding a job while Redis is frozen', () => {
  it('gives up at the deadline, and the next add, on a fresh handle, lands once Redis answers', async () => {
    const queues = { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: `test-frozen-add-${randomUUID()}` };
    const handles = new QueueHandles(queues);
    const reader = openQueue('add-while-frozen', queues);
    try {
      await handles.add('add-while-frozen', 'job', {}, { jobId: 'before' }, 1_000);
      redis.freeze();
      const refused = await timed(() => handles.add('add-while-frozen', 'job', {}, { jobId: 'during' }, 1_000).then(() => 'added', (error: unknown) => error));
      expect(refused.value).toMatchObject({ name: 'DeadlineExceededError' });
      expect(refused.ms).toBeLessThan(1_000 + BOUND_MS);
      redis.thaw();
      // The dropped handle's connection held 'during'; the new one adds 'after' as soon as Redis answers.
      await handles.add('add-while-frozen', 'job', {}, { jobId: 'after' }, 5_000);
      expect(await reader.getJob('after')).toBeDefined();
    } finally {
      redis.thaw();
      await handles.close();
      await reader.close();
    }
  }, 30_000);
});
