import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles } from '@storefront/identity';
import { SeedNamespace, seedProduct, type SeedPlan } from '@storefront/seed-world';
import pg from 'pg';
import { PGBOUNCER_BINARY, startPrivatePgBouncer, type PrivatePgBouncer } from './support/private-pgbouncer.ts';
import { startStack, type TestStack } from './support/stack.ts';

/*
 * The store behind PgBouncer in transaction mode (docs/operations.md, "Postgres behind a pooler"): every subgraph
 * reaches its database through the pooler with a pool far larger than the pooler's, as many replicas together
 * would, and Postgres still sees no more than the pooler's connections per database, while reads, checkouts
 * (interactive transactions with row locks) and idempotent retries behave as they do direct.
 */

const PLAN: SeedPlan = { users: 10, categories: 3, products: 40, warehouses: 2, orders: 20, wishlistItemsPerUser: 1 };
const POOLER_SIZE = 3;
/** Each subgraph's own pool: what a burst opens on Postgres without a pooler in between. */
const SUBGRAPH_POOL = 25;
const customer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 3), ['CUSTOMER']);

const PRODUCT_PAGE = `query ($id: ID!) { product(id: $id) { name price { amount } inStock stock { available } averageRating reviews(first: 3) { edges { node { rating } } } } }`;

const describeWithPgBouncer = PGBOUNCER_BINARY ? describe : describe.skip;
if (!PGBOUNCER_BINARY && process.env.CI) throw new Error('CI runs this suite: install pgbouncer (.ci/run does)');

describeWithPgBouncer('the store through PgBouncer (transaction mode)', () => {
  let bouncer: PrivatePgBouncer;
  let stack: TestStack;
  const databases: string[] = [];
  let admin: pg.Client;

  beforeAll(async () => {
    bouncer = await startPrivatePgBouncer({ poolSize: POOLER_SIZE });
    stack = await startStack(PLAN, {
      databaseUrl: (direct) => {
        databases.push(new URL(direct).pathname.slice(1));
        return bouncer.urlFor(direct);
      },
      databasePoolSize: SUBGRAPH_POOL,
    });
    admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
  }, 180_000);
  afterAll(async () => {
    await admin?.end();
    await stack?.close();
    await bouncer?.stop();
  });

  /** Connections Postgres holds per store database right now. */
  async function serverConnections(): Promise<Record<string, number>> {
    const { rows } = await admin.query<{ datname: string; count: string }>('SELECT datname, count(*) FROM pg_stat_activity WHERE datname = ANY($1) GROUP BY datname', [databases]);
    return Object.fromEntries(rows.map((row) => [row.datname, Number(row.count)]));
  }

  it('keeps Postgres at the pooler’s connections per database under a burst that would open a subgraph pool’s worth', async () => {
    const peak: Record<string, number> = {};
    const clientPeak: Record<string, number> = {};
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [server, clients] = await Promise.all([serverConnections(), bouncer.clients()]);
        for (const [name, count] of Object.entries(server)) peak[name] = Math.max(peak[name] ?? 0, count);
        for (const [name, count] of Object.entries(clients)) clientPeak[name] = Math.max(clientPeak[name] ?? 0, count);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const burst = await Promise.all(Array.from({ length: 120 }, (_, i) => stack.query(PRODUCT_PAGE, { id: seedProduct(i % PLAN.products, PLAN).id })));
    sampling = false;
    await sampler;
    expect(burst.map(({ status, body }) => [status, body.errors])).toEqual(burst.map(() => [200, undefined]));
    // The burst did reach the databases through the pooler (catalog, inventory and reviews each got connections).
    expect(Object.keys(peak).length).toBeGreaterThanOrEqual(3);
    for (const [database, count] of Object.entries(peak)) expect({ database, count: Math.min(count, POOLER_SIZE) }).toEqual({ database, count });
    // What the subgraphs opened meanwhile, and Postgres would have had to hold without the pooler.
    expect(Math.max(...Object.values(clientPeak))).toBeGreaterThan(POOLER_SIZE);
  });

  it('places an order once per idempotency key, with its transaction and row locks, through the pooler', async () => {
    const key = `pgbouncer-${randomUUID()}`;
    const product = seedProduct(5, PLAN);
    const placeOrder = `mutation ($key: String!, $product: ID!) {
      placeOrder(input: {
        idempotencyKey: $key
        items: [{ purchasableId: $product, quantity: 1 }]
        shippingAddress: { name: "Ada Lovelace", line1: "1 Main Street", city: "Berlin", postalCode: "10115", country: "DE" }
      }) { replayed order { id status } errors { code } }
    }`;
    // Concurrent retries of one checkout: one order, the others replay it.
    const attempts = await Promise.all(Array.from({ length: 6 }, () => stack.query(placeOrder, { key, product: product.id }, customer)));
    const payloads = attempts.map(({ body }) => (body.data as { placeOrder: { replayed: boolean; order: { id: string } | null; errors: unknown[] } }).placeOrder);
    expect(payloads.every((payload) => payload.errors.length === 0)).toBe(true);
    expect(new Set(payloads.map((payload) => payload.order?.id)).size).toBe(1);
    expect(payloads.filter((payload) => !payload.replayed)).toHaveLength(1);
    const history = await stack.query('{ me { orders(first: 50) { edges { node { id status } } } } }', {}, customer);
    const ids = (history.body.data as { me: { orders: { edges: Array<{ node: { id: string } }> } } }).me.orders.edges.map(({ node }) => node.id);
    expect(ids.filter((id) => id === payloads[0]?.order?.id)).toHaveLength(1);
  });
});
