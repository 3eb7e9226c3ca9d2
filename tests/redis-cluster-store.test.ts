import { createHash, randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { QueueAdmin, queueConnectionFromEnv } from '@storefront/events';
import { CACHING_OFF, DEFAULT_PROTECTION, startRouter, type CacheConfig, type RouterConfig, type RunningRouter } from '@storefront/router';
import { SeedNamespace, seedProduct, seedStockAvailable, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import pg from 'pg';
import { createCluster } from 'redis';
import { startPrivateRedisCluster, type PrivateRedisCluster } from './support/private-redis-cluster.ts';
import { postGraphQL, startStack, type TestStack } from './support/stack.ts';

/*
 * The whole store on a Redis Cluster of the test's own (three masters, three replicas), configured as a
 * deployment is (REDIS_CLUSTER_NODES for the router and every subgraph's workers, throttle and queue admin):
 * the router's caches, APQ, rate limits and sharded invalidation channel across two router instances, accounts'
 * sign-in throttle, and checkouts while the master holding the queues is killed.
 */

const PLAN: SeedPlan = { users: 14, categories: 2, products: 16, warehouses: 2, orders: 4, wishlistItemsPerUser: 0 };
const RUN = randomUUID().slice(0, 8);
const QUEUE_PREFIX = `cluster-store-${RUN}`;
const CACHE_PREFIX = `cluster-cache-${RUN}:`;
const customer = (i: number) => ({ userId: nameBasedUuid(SeedNamespace.user, i), roles: ['CUSTOMER'] as const });
const admin = { userId: nameBasedUuid(SeedNamespace.user, 0), roles: ['ADMIN', 'CUSTOMER'] as const };

let cluster: PrivateRedisCluster;
let stack: TestStack;
let clusterNodes: Array<{ host: string; port: number }>;
const routers: RunningRouter[] = [];
const ENV_KEYS = ['REDIS_CLUSTER_NODES', 'QUEUE_PREFIX', 'WORKER_LOCK_MS'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

const caches = (overrides: Partial<CacheConfig> = {}): CacheConfig => ({
  ...CACHING_OFF,
  redisClusterNodes: clusterNodes,
  keyPrefix: CACHE_PREFIX,
  // Generous: a loaded 2-core machine must not turn slow answers into (fail-open) cache errors.
  redisCommandTimeoutMs: 2_000,
  apq: true,
  queryPlans: true,
  responses: true,
  entities: true,
  ...overrides,
});

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  clusterNodes = cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port }));
  // The subgraphs and their workers read Redis from the environment when they start, as in a deployment.
  process.env.REDIS_CLUSTER_NODES = cluster.nodesSetting;
  process.env.QUEUE_PREFIX = QUEUE_PREFIX;
  // A job whose completion the killed master never replicated runs again once its lock lapses: 2 s, not 30.
  process.env.WORKER_LOCK_MS = '2000';
  stack = await startStack(PLAN, { runWorkers: true, router: { cache: caches() } });
}, 180_000);

afterAll(async () => {
  await Promise.all(routers.map((router) => router.close()));
  await stack?.close();
  await cluster?.stop();
  for (const key of ENV_KEYS) {
    // Later test files in this worker must find the environment as it was.
    if (savedEnv[key] === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = savedEnv[key];
  }
}, 60_000);

async function replica(overrides: Partial<RouterConfig>): Promise<RunningRouter> {
  const router = await startRouter({ ...stack.routerConfig, ...overrides });
  routers.push(router);
  await waitFor(async () => router.isLoaded() && (await readiness(router)).redis === 'up', 'a router replica to reach the cluster', 20_000);
  return router;
}

async function readiness(router: RunningRouter): Promise<{ redis?: string }> {
  const response = await fetch(router.url.replace('/graphql', '/ready'));
  return (await response.json()) as { redis?: string };
}

const counter = (router: RunningRouter, cache: string, what: 'hits' | 'misses' | 'errors' | 'writes' | 'invalidations') => router.cacheStats()[cache]?.[what] ?? 0;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const openTestCluster = () => createCluster({ rootNodes: clusterNodes.map(({ host, port }) => ({ socket: { host, port } })) });

/** A node-redis cluster client of the test's own, e.g. to publish as a domain event's handler would. */
async function withCluster<T>(work: (client: ReturnType<typeof openTestCluster>) => Promise<T>): Promise<T> {
  const client = openTestCluster();
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

describe('the router on a Redis Cluster', () => {
  it('shares APQ registrations and query plans between two router instances', async () => {
    const other = await replica({ cache: caches({ responses: false }) });
    const query = `query ClusterApq_${RUN} { product(id: "${seedProduct(1, PLAN).id}") { name price { amount } category { name } } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    expect((await postGraphQL(stack.routerUrl, { extensions })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await postGraphQL(stack.routerUrl, { query, extensions });
    expect(registered.body.errors).toBeUndefined();
    await waitFor(() => counter(stack.router, 'queryPlansShared', 'writes') > 0, 'the plan to reach the cluster');
    // The other instance runs it by hash alone, with the plan the first one made.
    const byHash = await postGraphQL(other.url, { extensions });
    expect(byHash.body).toEqual(registered.body);
    expect(counter(other, 'apq', 'hits')).toBeGreaterThan(0);
    expect(counter(other, 'queryPlansShared', 'hits')).toBeGreaterThan(0);
    expect(counter(other, 'apq', 'errors') + counter(other, 'queryPlansShared', 'errors')).toBe(0);
  });

  it('answers a repeated public query from the response cache without asking a subgraph', async () => {
    const query = `{ product(id: "${seedProduct(2, PLAN).id}") { name price { amount } reviewCount } }`;
    const first = await stack.query(query);
    const hits = counter(stack.router, 'responses', 'hits');
    const misses = counter(stack.router, 'responses', 'misses');
    expect(misses).toBeGreaterThan(0);
    let repeat: Awaited<ReturnType<TestStack['query']>> | undefined;
    await waitFor(async () => Object.values(await stack.countQueries(async () => void (repeat = await stack.query(query)))).every((count) => count === 0), 'a response-cache hit');
    expect(repeat?.body).toEqual(first.body);
    expect(counter(stack.router, 'responses', 'hits')).toBeGreaterThan(hits);
  });

  it('caches entities across slots, drops them on a mutation, and delivers invalidations over the sharded channel to every instance', async () => {
    const STOCK_LEVELS = `query ClusterStock($a: ID!, $b: ID!, $w: ID!) {
      a: stockLevel(productId: $a, warehouseId: $w) { available product { name price { amount } } }
      b: stockLevel(productId: $b, warehouseId: $w) { available product { name price { amount } } }
    }`;
    const [productA, productB] = [seedProduct(3, PLAN), seedProduct(4, PLAN)];
    const variables = { a: productA.id, b: productB.id, w: seedWarehouse(0).id };
    const priceOf = (body: { data?: Record<string, unknown> | null }, field: 'a' | 'b') => (body.data?.[field] as { product: { price: { amount: number } } }).product.price.amount;
    // Responses off, so every request reaches the entity fetch; two instances sharing the cluster.
    const first = await replica({ cache: caches({ responses: false }) });
    const second = await replica({ cache: caches({ responses: false }) });
    const catalogQueries = async (router: RunningRouter) => (await stack.countQueries(() => postGraphQL(router.url, { query: STOCK_LEVELS, variables }))).catalog ?? 0;

    const missed = await postGraphQL(first.url, { query: STOCK_LEVELS, variables });
    expect(missed.body.errors).toBeUndefined();
    expect(counter(first, 'entities', 'misses')).toBeGreaterThanOrEqual(2);
    // Two products, two entity slots: one MGET split per slot, and one MULTI per entity when stored.
    await waitFor(async () => (await catalogQueries(second)) === 0, 'the second instance to answer both products from the cluster');
    expect(counter(second, 'entities', 'hits')).toBeGreaterThanOrEqual(2);
    expect(counter(first, 'entities', 'errors') + counter(second, 'entities', 'errors')).toBe(0);

    const updated = await stack.query(
      'mutation ($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { product { id price { amount } } errors { code } } }',
      { id: productA.id, amount: productA.priceCents + 100 },
      admin,
    );
    expect(updated.body.errors).toBeUndefined();
    expect(counter(stack.router, 'entities', 'invalidations')).toBeGreaterThan(0);
    const afterMutation = await postGraphQL(second.url, { query: STOCK_LEVELS, variables });
    expect(priceOf(afterMutation.body, 'a')).toBe(productA.priceCents + 100);
    expect(priceOf(afterMutation.body, 'b')).toBe(productB.priceCents);

    await waitFor(async () => (await catalogQueries(first)) === 0, 'both products cached again');
    const receivers = await withCluster((client) =>
      client.sPublish(`${CACHE_PREFIX}entity-invalidation`, JSON.stringify({ subgraph: 'catalog', type: 'Product', key: { id: productB.id } })),
    );
    // Every instance with an entity cache under this prefix listens on the channel's shard: the stack's router and both replicas.
    expect(receivers).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await catalogQueries(second)) > 0, 'the invalidated product to be fetched again');
  });

  it('enforces one rate limit across two router instances', async () => {
    const limited = (): RouterConfig['protection'] => ({
      ...DEFAULT_PROTECTION,
      trustedProxyHops: 1,
      rateLimit: { perIp: 4, perUser: 4, windowMs: 30_000, trustedProxyHops: 1, redisUrl: 'redis://127.0.0.1:6379', redisClusterNodes: clusterNodes, keyPrefix: `${CACHE_PREFIX}limits:`, redisCommandTimeoutMs: 2_000 },
    });
    const [a, b] = [await replica({ cache: CACHING_OFF, protection: limited() }), await replica({ cache: CACHING_OFF, protection: limited() })];
    const post = async (router: RunningRouter) =>
      (await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: JSON.stringify({ query: '{ __typename }' }) })).status;
    const statuses = [await post(a), await post(b), await post(a), await post(b)];
    expect(statuses).toEqual([200, 200, 200, 200]);
    // The fifth request, on either instance, is over the one shared budget.
    expect(await post(a)).toBe(429);
    expect(await post(b)).toBe(429);
    expect((await readiness(a)).redis).toBe('up');
  });
});

describe('accounts on a Redis Cluster', () => {
  it('throttles sign-in with counters that share one hash-tagged slot', async () => {
    const email = `cluster-throttle-${RUN}@example.test`;
    const logIn = () =>
      postGraphQL<{ logIn: { accessToken: string | null; errors: Array<{ code: string }> } }>(stack.routerUrl, {
        query: 'mutation ($input: LogInInput!) { logIn(input: $input) { accessToken errors { code } } }',
        variables: { input: { email, password: 'not the password' } },
      });
    for (let i = 0; i < 5; i += 1) expect((await logIn()).body.errors?.[0]?.extensions?.code).not.toBe('TOO_MANY_ATTEMPTS');
    const refused = await logIn();
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    // The counters are in the cluster (not in the process's fallback), all under the throttle's own tag.
    const keys = await withCluster(async (client) => {
      const found: string[] = [];
      for (const master of client.masters) {
        const node = await client.nodeClient(master);
        for await (const batch of node.scanIterator({ MATCH: `{${QUEUE_PREFIX}:accounts:login-throttle}:*`, COUNT: 1000 })) found.push(...batch);
      }
      return found;
    });
    expect(keys.some((key) => key.includes(':account:'))).toBe(true);
    expect(keys.some((key) => key.includes(':account-from:'))).toBe(true);
  });
});

describe('checkouts while a master fails over', () => {
  const SHIPPING = { name: 'Cluster Buyer', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
  /** Products in ample stock whose price the payment simulator neither declines (…13) nor answers late (…07). */
  const payable = Array.from({ length: PLAN.products }, (_, i) => i)
    .filter((i) => ![7, 13].includes(seedProduct(i, PLAN).priceCents % 100))
    .filter((i) => Array.from({ length: PLAN.warehouses }, (_, w) => seedStockAvailable(i, w)).reduce((sum, n) => sum + n, 0) >= 6)
    .slice(0, 4)
    .map((i) => seedProduct(i, PLAN).id);

  type Checkout = { key: string; user: number; product: string; orderId?: string };

  /** placeOrder with the shopper's own retry: an answer without an order is a clean refusal, retried with the same key. */
  async function checkOut(checkout: Checkout): Promise<void> {
    for (let attempt = 0; attempt < 40 && !checkout.orderId; attempt += 1) {
      const { status, body } = await stack.query(
        'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code } } }',
        { input: { idempotencyKey: checkout.key, items: [{ purchasableId: checkout.product, quantity: 1 }], shippingAddress: SHIPPING } },
        customer(checkout.user),
      );
      const placed = (body.data?.placeOrder as { order: { id: string } | null } | undefined)?.order;
      if (status === 200 && placed) checkout.orderId = placed.id;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('settles every order exactly once: PAID with one capture each, no event lost or doubled, no dead letter', async () => {
    expect(payable.length).toBeGreaterThanOrEqual(2);
    const pools = Object.fromEntries(['orders', 'inventory', 'payments'].map((name) => [name, new pg.Pool({ connectionString: stack.databaseUrls[name], max: 2 })]));
    const sql = async <T extends Record<string, unknown>>(service: string, text: string, params: unknown[] = []) => (await pools[service]!.query<T>(text, params)).rows;
    const queueAdmin = new QueueAdmin(queueConnectionFromEnv(), { deadlineMs: 10_000 });
    try {
      const checkouts: Checkout[] = Array.from({ length: 12 }, (_, i) => ({ key: randomUUID(), user: 1 + i, product: payable[i % payable.length]! }));
      // Two shoppers' lanes; the master holding every queue ({prefix}) dies once a third of the orders are in.
      const lanes = [0, 1].map(async (lane) => {
        for (const checkout of checkouts.filter((_, i) => i % 2 === lane)) {
          await checkOut(checkout);
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      });
      await waitFor(() => checkouts.filter((checkout) => checkout.orderId).length >= 4, 'a third of the orders to be placed', 30_000, 20);
      const { killedPort, promotedPort } = await cluster.killMaster({ key: `{${QUEUE_PREFIX}}` });
      expect(promotedPort).not.toBe(killedPort);
      await Promise.all(lanes);

      const ids = checkouts.map((checkout) => checkout.orderId);
      expect(ids.every(Boolean)).toBe(true);
      const orderIds = ids as string[];
      const problems: string[] = [];
      const settled = await waitFor(
        async () => (await sql<{ n: number }>('orders', `SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) AND status IN ('PAID', 'CANCELLED')`, [orderIds]))[0]?.n === orderIds.length,
        'every order to settle',
        45_000,
        250,
      ).then(
        () => true,
        () => false,
      );
      if (!settled) {
        // Which step each open saga waits for, and where its event is: what a failure here needs to say.
        const open = await sql<{ order_id: string; state: string }>('orders', 'SELECT order_id, state::text AS state FROM order_sagas WHERE order_id = ANY($1::uuid[]) AND finished_at IS NULL', [orderIds]);
        problems.push(...open.map((saga) => `saga of ${saga.order_id} still ${saga.state} 45 s after the failover`));
        const queues = await queueAdmin.stats().catch((error: unknown) => String(error));
        problems.push(`queues: ${JSON.stringify(queues)}`);
      }
      const orders = await sql<{ id: string; idempotency_key: string; status: string; total_cents: number }>(
        'orders',
        'SELECT id, idempotency_key, status::text AS status, total_cents FROM orders WHERE idempotency_key = ANY($1)',
        [checkouts.map((checkout) => checkout.key)],
      );
      if (orders.length !== checkouts.length) problems.push(`${orders.length} orders for ${checkouts.length} checkouts`);
      const payments = await sql<{ id: string; order_id: string; status: string; amount_cents: number }>(
        'payments',
        'SELECT id, order_id, status::text AS status, amount_cents FROM payments WHERE order_id = ANY($1::uuid[])',
        [orderIds],
      );
      const captures = await sql<{ payment_id: string; n: number }>(
        'payments',
        `SELECT payment_id, count(*)::int AS n FROM provider_calls WHERE payment_id = ANY($1::uuid[]) AND operation = 'CAPTURE' AND outcome = 'SUCCEEDED' GROUP BY payment_id`,
        [payments.map((payment) => payment.id)],
      );
      const events = new Map<string, number>();
      for (const service of ['orders', 'inventory', 'payments']) {
        for (const row of await sql<{ aggregate_id: string; type: string; n: number }>(service, 'SELECT aggregate_id, type, count(*)::int AS n FROM outbox_events WHERE aggregate_id = ANY($1) GROUP BY 1, 2', [orderIds])) {
          events.set(`${row.aggregate_id} ${row.type}`, (events.get(`${row.aggregate_id} ${row.type}`) ?? 0) + row.n);
        }
      }
      // Settled orders still write events (OrderPaid for notifications, say) that the relay publishes a moment later,
      // perhaps only after its add timed out on the failed-over master and its batch was rolled back and retried.
      const unpublished = async (service: string) => (await sql<{ n: number }>(service, 'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL'))[0]?.n ?? 0;
      const services = ['orders', 'inventory', 'payments'];
      const drained = await waitFor(async () => (await Promise.all(services.map(unpublished))).every((n) => n === 0), 'every outbox to drain', 20_000, 250).then(
        () => true,
        () => false,
      );
      if (!drained) {
        for (const service of services) {
          const left = await unpublished(service);
          if (left) problems.push(`${service}: ${left} events not published 20 s after settling`);
        }
      }
      for (const order of orders) {
        const payment = payments.find((candidate) => candidate.order_id === order.id);
        if (order.status === 'CANCELLED') {
          // A clean refusal: the order says why, and no money is held.
          if (payment && !['DECLINED', 'VOIDED'].includes(payment.status)) problems.push(`order ${order.id}: CANCELLED, payment ${payment.status}`);
          continue;
        }
        if (payment?.status !== 'CAPTURED' || payment.amount_cents !== order.total_cents) problems.push(`order ${order.id}: PAID, payment ${JSON.stringify(payment)}`);
        const captured = captures.find((row) => row.payment_id === payment?.id)?.n ?? 0;
        if (captured !== 1) problems.push(`order ${order.id}: captured ${captured} times`);
        for (const type of ['StockReservationRequested', 'StockReserved', 'PaymentAuthorizationRequested', 'PaymentAuthorized', 'StockCommitRequested', 'StockCommitted', 'PaymentCaptureRequested', 'PaymentCaptured']) {
          const count = events.get(`${order.id} ${type}`) ?? 0;
          if (count !== 1) problems.push(`order ${order.id}: ${count} × ${type}`);
        }
      }
      // The queue admin reads the cluster too: every queue found, and nothing waits as a dead letter.
      const stats = await queueAdmin.stats();
      expect(stats.map((queue) => queue.name)).toEqual(expect.arrayContaining(['events.payments', 'events.orders-saga', 'events.inventory']));
      for (const queue of stats) if (queue.deadLetters) problems.push(`${queue.name}: ${queue.deadLetters} dead letters`);
      expect(problems).toEqual([]);
      // A clean cancellation balances too, but a failover that cancels every order is no success.
      expect(orders.filter((order) => order.status === 'PAID').length).toBeGreaterThan(orders.length / 2);
    } finally {
      await queueAdmin.close();
      await Promise.all(Object.values(pools).map((pool) => pool.end()));
    }
  }, 150_000);
});
