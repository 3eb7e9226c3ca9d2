import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedOrder, seedProduct, seedUser, type SeedPlan } from '@storefront/seed-world';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { mergeIncremental, readMultipart } from './support/multipart.ts';
import { startStack, type TestStack } from './support/stack.ts';

/*
 * The whole store through the router: every subgraph on its own fresh Postgres database, seeded from the
 * shared seed world, queried the way a storefront and a back office would.
 */

const PLAN: SeedPlan = { users: 40, categories: 5, products: 150, warehouses: 2, orders: 300, wishlistItemsPerUser: 3 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
const customer = (i: number): Viewer => viewerWithRoles(nameBasedUuid(SeedNamespace.user, i), ['CUSTOMER']);

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack(PLAN);
});
afterAll(() => stack?.close());

const statements = (counts: Record<string, number>) =>
  Object.fromEntries(Object.keys(stack.subgraphs).map((name) => [name, counts[name] ?? 0]));

/** A seeded product that has reviews (a fulfilled order's item). */
function reviewedProductIndex(): number {
  for (let i = 0; i < PLAN.orders; i += 1) {
    const order = seedOrder(i, PLAN);
    const item = order.items.find((candidate) => candidate.kind === 'PRODUCT');
    if (order.status === 'FULFILLED' && item?.productIndex != null) return item.productIndex;
  }
  throw new Error('the plan has no fulfilled orders');
}

describe('the product page', () => {
  const PRODUCT_PAGE = `query ProductPage($id: ID!) {
    product(id: $id) {
      name sku price { amount currency } category { name }
      inStock
      stock { available }
      shippingEstimate(country: "FR") { cost { amount currency } carrier minDays maxDays }
      averageRating reviewCount
      reviews(first: 3) { edges { node { rating title author { id name } } } }
    }
  }`;

  it('joins catalog, inventory (@requires) and reviews (@interfaceObject, @provides) in one response', async () => {
    const index = reviewedProductIndex();
    const facts = seedProduct(index, PLAN);
    const { body } = await stack.query(PRODUCT_PAGE, { id: facts.id });
    expect(body.errors).toBeUndefined();
    const product = body.data!.product as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a response shape checked field by field below
    expect(product).toMatchObject({ sku: facts.sku, price: { amount: facts.priceCents, currency: 'EUR' } });
    expect(product.shippingEstimate.cost.currency).toBe('EUR');
    expect(product.shippingEstimate.minDays).toBeLessThanOrEqual(product.shippingEstimate.maxDays);
    expect(product.reviewCount).toBeGreaterThan(0);
    expect(product.averageRating).toBeGreaterThanOrEqual(1);
    const [first] = product.reviews.edges;
    expect(first.node.author.name).toBe(
      seedUser(Array.from({ length: PLAN.users }, (_, i) => i).find((i) => nameBasedUuid(SeedNamespace.user, i) === first.node.author.id)!, PLAN).name,
    );
  });

  it('defers reviews and the shipping estimate when the client streams (@defer), adding up to the same page', async () => {
    const id = seedProduct(reviewedProductIndex(), PLAN).id;
    const DEFERRED_PAGE = `query ProductPage($id: ID!) {
      product(id: $id) {
        name sku price { amount currency } category { name }
        inStock
        stock { available }
        ... @defer(label: "shipping") { shippingEstimate(country: "FR") { cost { amount currency } carrier minDays maxDays } }
        ... @defer(label: "reviews") {
          averageRating reviewCount
          reviews(first: 3) { edges { node { rating title author { id name } } } }
        }
      }
    }`;
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' },
      body: JSON.stringify({ query: DEFERRED_PAGE, variables: { id } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    const payloads = (await readMultipart(response)).map(({ payload }) => payload);
    const [initial] = payloads;
    expect(initial?.hasNext).toBe(true);
    expect(Object.keys(initial?.data?.product as object)).toEqual(['name', 'sku', 'price', 'category', 'inStock', 'stock']);
    const labels = payloads.slice(1).flatMap((payload) => (payload.incremental ?? []).map((item) => item.label));
    expect(labels.sort()).toEqual(['reviews', 'shipping']);
    expect(payloads.at(-1)?.hasNext).toBe(false);
    const merged = mergeIncremental(payloads);
    expect(merged.errors).toEqual([]);
    const whole = await stack.query(PRODUCT_PAGE, { id });
    expect(merged.data).toEqual(whole.body.data);
  });

  it('takes the author name from reviews (@provides), never asking accounts', async () => {
    const id = seedProduct(reviewedProductIndex(), PLAN).id;
    const counts = await stack.countQueries(() => stack.query('query ($id: ID!) { product(id: $id) { reviews(first: 5) { edges { node { author { name } } } } } }', { id }));
    expect(counts.accounts).toBe(0);
    expect(counts.reviews).toBeGreaterThan(0);
  });

  it('gets shippingEstimate its @requires fields from catalog, including the @inaccessible shipping class', async () => {
    const heavy = Array.from({ length: PLAN.products }, (_, i) => seedProduct(i, PLAN)).find((p) => p.shippingClass === 'BULKY');
    const light = Array.from({ length: PLAN.products }, (_, i) => seedProduct(i, PLAN)).find((p) => p.shippingClass === 'STANDARD' && p.weightGrams < 500);
    const estimate = async (id: string) =>
      ((await stack.query('query ($id: ID!) { product(id: $id) { shippingEstimate(country: "DE") { cost { amount } } } }', { id })).body.data!.product as { shippingEstimate: { cost: { amount: number } } }).shippingEstimate.cost.amount;
    expect(heavy && light).toBeTruthy();
    expect(await estimate(heavy!.id)).toBeGreaterThan(await estimate(light!.id));
  });

  it('hides @inaccessible fields and service-to-service mutations from clients', async () => {
    const field = await stack.query('{ products(first: 1) { edges { node { shippingClass } } } }');
    expect(field.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const mutation = await stack.query(`mutation { reserveStock(input: { orderId: "${randomUUID()}", items: [] }) { errors { code } } }`);
    expect(mutation.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves Product.inStock from catalog or inventory, progressively (@override percent(50)), with the same answer', async () => {
    const id = seedProduct(3, PLAN).id;
    const answers = new Set<unknown>();
    const counts = await stack.countQueries(async () => {
      for (let i = 0; i < 40; i += 1) answers.add(JSON.stringify((await stack.query('query ($id: ID!) { product(id: $id) { inStock } }', { id })).body));
    });
    expect(answers.size).toBe(1);
    // 40 fair coins: inventory is asked about half the time (never in all 40 except with probability 2^-40).
    expect(counts.inventory).toBeGreaterThan(0);
    expect(counts.inventory).toBeLessThan(40);
  });

  it('keeps @tag metadata for contracts on admin fields in the supergraph', () => {
    const supergraph = readFileSync(SUPERGRAPH_PATH, 'utf8');
    expect(supergraph).toMatch(/orders\(first: Int = 20, after: String, status: OrderStatus\): OrderConnection @join__field\(graph: ORDERS\)[^\n]* @tag\(name: "admin"\)/);
  });
});

describe("a customer's order history", () => {
  const HISTORY = `query OrderHistory {
    me {
      name
      orders(first: 5) {
        edges { node {
          number status total { amount currency }
          payment { status amount { amount } }
          items(first: 10) { edges { node { quantity unitPrice { amount } purchasable { __typename id name } } } }
        } }
      }
    }
  }`;

  it('shows the orders with their payments and what was bought', async () => {
    const order = seedOrder(10, PLAN);
    const { body } = await stack.query(HISTORY, {}, customer(order.userIndex));
    expect(body.errors).toBeUndefined();
    const me = body.data!.me as { orders: { edges: Array<{ node: { number: string; total: { amount: number }; items: { edges: Array<{ node: { purchasable: { id: string; __typename: string } } }> } } }> } };
    const mine = me.orders.edges.map((e) => e.node);
    expect(mine.length).toBeGreaterThan(0);
    for (const node of mine) {
      for (const item of node.items.edges) expect(['Product', 'GiftCard']).toContain(item.node.purchasable.__typename);
    }
  });

  it("refuses one customer another's orders", async () => {
    const order = seedOrder(10, PLAN);
    const other = order.userIndex === 1 ? 2 : 1;
    const { body } = await stack.query('query ($id: ID!) { order(id: $id) { number } }', { id: order.id }, customer(other));
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('places an order through the router, once per idempotency key', async () => {
    const viewer = customer(3);
    const input = {
      idempotencyKey: randomUUID(),
      items: [{ purchasableId: seedProduct(7, PLAN).id, quantity: 2 }],
      shippingAddress: { name: 'Test Buyer', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
    };
    const place = () =>
      stack.query(
        'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id status total { amount } user { id name } } errors { path code } } }',
        { input },
        viewer,
      );
    const first = (await place()).body.data!.placeOrder as { replayed: boolean; order: { id: string; status: string; total: { amount: number }; user: { name: string } } };
    expect(first).toMatchObject({ replayed: false, order: { status: 'PENDING', total: { amount: seedProduct(7, PLAN).priceCents * 2 }, user: { name: seedUser(3, PLAN).name } } });
    const again = (await place()).body.data!.placeOrder as { replayed: boolean; order: { id: string } };
    expect(again).toMatchObject({ replayed: true, order: { id: first.order.id } });
  });
});

describe('the admin order view: statements per subgraph do not grow with the number of orders', () => {
  const ADMIN_ORDERS = (n: number) => `{
    orders(first: ${n}, status: FULFILLED) {
      edges { node {
        number status user { name email }
        payment { status refundedAmount { amount } }
        items(first: 5) { edges { node {
          quantity unitPrice { amount }
          shippedFrom { available warehouse { name } }
          purchasable { name ... on Product { sku category { name } } averageRating reviews(first: 2) { edges { node { rating author { name } } } } }
        } } }
      } }
    }
  }`;

  it('orders → items → purchasable → reviews → author: the same statements for 1 and 50 orders', async () => {
    const one = await stack.countQueries(() => stack.query(ADMIN_ORDERS(1), {}, admin));
    const fifty = await stack.countQueries(() => stack.query(ADMIN_ORDERS(50), {}, admin));
    const { body } = await stack.query(ADMIN_ORDERS(50), {}, admin);
    expect(body.errors).toBeUndefined();
    expect((body.data!.orders as { edges: unknown[] }).edges).toHaveLength(50);
    expect(fifty).toEqual(one);
    // Every subgraph but notifications takes part, each with a handful of statements, whatever the page size.
    expect(one).toEqual(statements({ accounts: 1, catalog: 3, inventory: 2, orders: 2, payments: 1, reviews: 2 }));
  });
});
