import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedInStock, seedProduct, seedStockAvailable, type SeedPlan } from '@storefront/seed-world';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';
import { estimateShipping } from './shipping.ts';

// 200 orders: two of them are RESERVED, holding 3 units of product 51 in warehouse 0 among others.
const PLAN: SeedPlan = { users: 20, categories: 4, products: 60, warehouses: 2, orders: 200, wishlistItemsPerUser: 2 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
const customer: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 1), ['CUSTOMER']);
const productId = (p: number) => nameBasedUuid(SeedNamespace.product, p);
const warehouseId = (w: number) => nameBasedUuid(SeedNamespace.warehouse, w);
const products = (n: number) => Array.from({ length: n }, (_, p) => p);

let inventory: TestSubgraph;
beforeAll(async () => {
  inventory = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
});
afterAll(() => inventory?.close());

type Connection<Node> = { edges: Array<{ cursor: string; node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** Every node of a connection, page by page. */
async function allPages<Node>(field: string, query: string, variables: Record<string, unknown>, viewer?: Viewer): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const { body }: GraphQLResponse<Record<string, Connection<Node>>> = await inventory.query(query, { ...variables, after }, viewer);
    expect(body.errors).toBeUndefined();
    const page: Connection<Node> = body.data![field]!;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) {';
const productRefs = (ids: number[]) => ids.map((p) => ({ __typename: 'Product', id: productId(p) }));

describe('warehouses', () => {
  it('pages through the seeded warehouses by code, each once', async () => {
    const nodes = await allPages<{ id: string; code: string; name: string; country: string }>(
      'warehouses',
      'query ($after: String) { warehouses(first: 1, after: $after) { edges { cursor node { id code name country } } pageInfo { hasNextPage endCursor } } }',
      {},
    );
    expect(nodes).toEqual([
      { id: warehouseId(0), code: 'BER', name: 'Berlin', country: 'DE' },
      { id: warehouseId(1), code: 'RTM', name: 'Rotterdam', country: 'NL' },
    ]);
  });

  it('refuses a cursor it did not issue and a page over 100', async () => {
    const forged = await inventory.query('{ warehouses(after: "bm9wZQ") { edges { cursor } } }');
    expect(forged.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const big = await inventory.query('{ warehouses(first: 101) { edges { cursor } } }');
    expect(big.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  it('resolves Warehouse references in one statement, null for ids that cannot exist', async () => {
    const refs = [warehouseId(1), 'not-a-uuid', randomUUID(), warehouseId(0)].map((id) => ({ __typename: 'Warehouse', id }));
    let data: unknown;
    const statements = await inventory.countQueries(async () => {
      data = (await inventory.query(`${ENTITIES} ... on Warehouse { code } } }`, { r: refs })).body.data;
    });
    expect(data).toEqual({ _entities: [{ code: 'RTM' }, null, null, { code: 'BER' }] });
    expect(statements).toBe(1);
  });
});

describe('Product stock (entity fields)', () => {
  it('says in stock exactly when catalog\'s seeded legacy flag does, for every product', async () => {
    const { body } = await inventory.query<{ _entities: Array<{ inStock: boolean }> }>(`${ENTITIES} ... on Product { inStock } } }`, {
      r: productRefs(products(PLAN.products)),
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities.map((p) => p.inStock)).toEqual(products(PLAN.products).map((p) => seedInStock(p, PLAN)));
    expect(body.data!._entities.some((p) => !p.inStock)).toBe(true);
  });

  it('sums available and reserved units over all warehouses', async () => {
    const { body } = await inventory.query<{ _entities: Array<{ stock: { available: number; reserved: number } }> }>(
      `${ENTITIES} ... on Product { stock { available reserved } } } }`,
      { r: [...productRefs([0, 51, 13]), { __typename: 'Product', id: randomUUID() }] },
    );
    expect(body.data!._entities.map((p) => p.stock)).toEqual([
      { available: seedStockAvailable(0, 0) + seedStockAvailable(0, 1), reserved: 0 },
      { available: seedStockAvailable(51, 0) + seedStockAvailable(51, 1), reserved: 3 },
      { available: 0, reserved: 0 },
      { available: 0, reserved: 0 }, // a product inventory has never stocked
    ]);
  });

  it('pages a product\'s levels most available first', async () => {
    const page = async (after: string | null) =>
      (
        await inventory.query<{ _entities: Array<{ stock: { levels: Connection<{ warehouseId: string; available: number }> } }> }>(
          `query ($id: ID!, $after: String) { _entities(representations: [{ __typename: "Product", id: $id }]) { ... on Product { stock { levels(first: 1, after: $after) { edges { cursor node { warehouseId available } } pageInfo { hasNextPage endCursor } } } } } }`,
          { id: productId(0), after },
        )
      ).body.data!._entities[0]!.stock.levels;
    const first = await page(null);
    expect(first.edges.map((e) => e.node)).toEqual([{ warehouseId: warehouseId(0), available: seedStockAvailable(0, 0) }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((e) => e.node)).toEqual([{ warehouseId: warehouseId(1), available: seedStockAvailable(0, 1) }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('costs the same statements for 1 or 50 products: totals, levels and warehouses one each', async () => {
    const query = `${ENTITIES} ... on Product { inStock stock { available reserved levels(first: 2) { edges { node { available warehouse { code } } } } } } } }`;
    const run = async (n: number) => {
      let body: { errors?: unknown; data?: { _entities: unknown[] } | null } = {};
      const statements = await inventory.countQueries(async () => {
        body = (await inventory.query<{ _entities: unknown[] }>(query, { r: productRefs(products(n)) })).body;
      });
      expect(body.errors).toBeUndefined();
      expect(body.data?._entities).toHaveLength(n);
      return statements;
    };
    expect(await run(1)).toBe(3);
    expect(await run(50)).toBe(3);
  });
});

describe('shipping estimates (@requires)', () => {
  const representation = (p: number) => {
    const facts = seedProduct(p, PLAN);
    return {
      __typename: 'Product',
      id: facts.id,
      weightGrams: facts.weightGrams,
      shippingClass: facts.shippingClass,
      price: { amount: facts.priceCents, currency: facts.currency },
    };
  };

  it('prices shipping from the fields the router sends, without touching the database', async () => {
    const refs = products(20).map(representation);
    let body: { data?: { _entities: unknown[] } | null; errors?: unknown } = {};
    const statements = await inventory.countQueries(async () => {
      body = (
        await inventory.query<{ _entities: unknown[] }>(
          `${ENTITIES} ... on Product { shippingEstimate(country: "fr") { cost { amount currency } carrier minDays maxDays } home: shippingEstimate { cost { amount } } } } }`,
          { r: refs },
        )
      ).body;
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toEqual(
      refs.map((ref) => ({ shippingEstimate: estimateShipping(ref, 'FR'), home: { cost: { amount: estimateShipping(ref, 'DE').cost.amount } } })),
    );
    expect(statements).toBe(0);
  });

  it('refuses a country that is not an ISO code as BAD_USER_INPUT', async () => {
    const { body } = await inventory.query(`${ENTITIES} ... on Product { shippingEstimate(country: "Germany") { carrier } } } }`, {
      r: [representation(0)],
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'country' });
  });
});

describe('stock levels by their compound key', () => {
  const levelRefs = (n: number) =>
    products(n).map((i) => ({ __typename: 'StockLevel', productId: productId(Math.floor(i / 2)), warehouseId: warehouseId(i % 2) }));

  it('answers stockLevel(productId, warehouseId), null for an unknown pair, BAD_USER_INPUT for a bad id', async () => {
    const level = await inventory.query('query ($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { productId warehouseId available reserved product { id } warehouse { code } } }', {
      p: productId(51),
      w: warehouseId(0),
    });
    expect(level.body.data).toEqual({
      stockLevel: { productId: productId(51), warehouseId: warehouseId(0), available: seedStockAvailable(51, 0), reserved: 3, product: { id: productId(51) }, warehouse: { code: 'BER' } },
    });
    const unknown = await inventory.query('query ($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { available } }', { p: randomUUID(), w: warehouseId(0) });
    expect(unknown.body.data).toEqual({ stockLevel: null });
    const bad = await inventory.query('query ($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { available } }', { p: productId(1), w: 'BER' });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'warehouseId' });
  });

  it('resolves StockLevel references (as orders sends them) in one statement for 1 or 50, plus one for warehouses', async () => {
    const query = `${ENTITIES} ... on StockLevel { productId warehouseId available updatedAt warehouse { name } } } }`;
    let fifty: Array<{ productId: string; warehouseId: string; available: number }> = [];
    const one = await inventory.countQueries(() => inventory.query(query, { r: levelRefs(1) }));
    const many = await inventory.countQueries(async () => {
      fifty = (await inventory.query<{ _entities: typeof fifty }>(query, { r: levelRefs(50) })).body.data!._entities;
    });
    expect(one).toBe(2);
    expect(many).toBe(2);
    expect(fifty.map((level) => level.available)).toEqual(products(50).map((i) => seedStockAvailable(Math.floor(i / 2), i % 2)));
  });

  it('resolves references that cannot exist to null', async () => {
    const { body } = await inventory.query(`${ENTITIES} ... on StockLevel { available } } }`, {
      r: [
        { __typename: 'StockLevel', productId: 'nope', warehouseId: warehouseId(0) },
        { __typename: 'StockLevel', productId: randomUUID(), warehouseId: warehouseId(0) },
        levelRefs(1)[0],
      ],
    });
    expect(body.data).toEqual({ _entities: [null, null, { available: seedStockAvailable(0, 0) }] });
  });
});

describe('lowStock (admins)', () => {
  const LOW = 'query ($t: Int, $after: String) { lowStock(threshold: $t, first: 7, after: $after) { edges { node { productId warehouseId available } } pageInfo { hasNextPage endCursor } } }';
  type Level = { productId: string; warehouseId: string; available: number };

  it('pages every level at or below the threshold exactly once, least available first', async () => {
    const nodes = await allPages<Level>('lowStock', LOW, { t: 20 }, admin);
    const expected = products(PLAN.products)
      .flatMap((p) => [0, 1].map((w) => ({ productId: productId(p), warehouseId: warehouseId(w), available: seedStockAvailable(p, w) })))
      .filter((level) => level.available <= 20)
      .sort((a, b) => a.available - b.available || a.productId.localeCompare(b.productId) || a.warehouseId.localeCompare(b.warehouseId));
    expect(expected.length).toBeGreaterThan(14);
    expect(nodes).toEqual(expected);
  });

  it('is for admins only, and refuses a negative threshold', async () => {
    expect((await inventory.query(LOW, { t: 5 })).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await inventory.query(LOW, { t: 5 }, customer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await inventory.query(LOW, { t: -1 }, admin)).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'threshold' });
  });
});

describe('adjustStock (admins)', () => {
  type Payload = { stockLevel: { available: number; reserved: number } | null; errors: Array<{ path: string[]; code: string }> };
  /** As the admin unless another viewer, or null for an anonymous request, is given. */
  const adjust = async (input: Record<string, unknown>, viewer: Viewer | null = admin) => {
    const { body } = await inventory.query<{ adjustStock: Payload }>(
      'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { stockLevel { available reserved } errors { path code } } }',
      { input },
      viewer ?? undefined,
    );
    return body.data?.adjustStock ?? body.errors;
  };
  const available = async (p: string, w: string) =>
    (await inventory.query<{ stockLevel: { available: number } | null }>('query ($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { available } }', { p, w })).body
      .data!.stockLevel?.available;

  it('adds units once per idempotency key and refuses the key for another adjustment', async () => {
    const input = { productId: productId(13), warehouseId: warehouseId(1), delta: 10, reason: 'Delivery', idempotencyKey: randomUUID() };
    expect(await adjust(input)).toEqual({ stockLevel: { available: 10, reserved: 0 }, errors: [] });
    expect(await adjust(input)).toEqual({ stockLevel: { available: 10, reserved: 0 }, errors: [] });
    expect(await available(productId(13), warehouseId(1))).toBe(10);
    const inStock = await inventory.query(`${ENTITIES} ... on Product { inStock } } }`, { r: productRefs([13]) });
    expect(inStock.body.data).toEqual({ _entities: [{ inStock: true }] });
    expect(await adjust({ ...input, delta: 11 })).toEqual({ stockLevel: null, errors: [{ path: ['input', 'idempotencyKey'], code: 'IDEMPOTENCY_KEY_REUSED' }] });
  });

  it('stocks a product the warehouse never had', async () => {
    const fresh = randomUUID();
    expect(await adjust({ productId: fresh, warehouseId: warehouseId(0), delta: 4, reason: 'New line', idempotencyKey: randomUUID() })).toEqual({
      stockLevel: { available: 4, reserved: 0 },
      errors: [],
    });
  });

  it('never takes available below zero: reserved units stay', async () => {
    const level = { productId: productId(51), warehouseId: warehouseId(0) };
    const free = seedStockAvailable(51, 0);
    const tooMany = await adjust({ ...level, delta: -(free + 1), reason: 'Broken', idempotencyKey: randomUUID() });
    expect(tooMany).toEqual({ stockLevel: null, errors: [{ path: ['input', 'delta'], code: 'INVALID_STATE' }] });
    expect(await available(level.productId, level.warehouseId)).toBe(free);
    expect(await adjust({ ...level, delta: -free, reason: 'Broken', idempotencyKey: randomUUID() })).toEqual({ stockLevel: { available: 0, reserved: 3 }, errors: [] });
    const none = await adjust({ productId: randomUUID(), warehouseId: warehouseId(0), delta: -1, reason: 'Broken', idempotencyKey: randomUUID() });
    expect(none).toEqual({ stockLevel: null, errors: [{ path: ['input', 'delta'], code: 'INVALID_STATE' }] });
  });

  it('reports invalid fields with codes, and an unknown warehouse', async () => {
    const result = await adjust({ productId: 'x', warehouseId: warehouseId(0), delta: 0, reason: ' ', idempotencyKey: 'short' });
    expect((result as Payload).errors).toEqual(
      expect.arrayContaining([
        { path: ['input', 'productId'], code: 'INVALID' },
        { path: ['input', 'delta'], code: 'INVALID' },
        { path: ['input', 'reason'], code: 'TOO_SHORT' },
        { path: ['input', 'idempotencyKey'], code: 'TOO_SHORT' },
      ]),
    );
    expect(await adjust({ productId: productId(1), warehouseId: randomUUID(), delta: 1, reason: 'x', idempotencyKey: randomUUID() })).toEqual({
      stockLevel: null,
      errors: [{ path: ['input', 'warehouseId'], code: 'NOT_FOUND' }],
    });
    // Postgres refuses NUL in text: a field error, not a 500.
    expect(await adjust({ productId: productId(1), warehouseId: warehouseId(0), delta: 1, reason: 'Deli\u0000very', idempotencyKey: randomUUID() })).toEqual({
      stockLevel: null,
      errors: [{ path: ['input', 'reason'], code: 'INVALID_CHARACTERS' }],
    });
  });

  it('lets only admins adjust', async () => {
    const input = { productId: productId(1), warehouseId: warehouseId(0), delta: 1, reason: 'x', idempotencyKey: randomUUID() };
    expect(await adjust(input, null)).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    expect(await adjust(input, customer)).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
  });

  it('applies a key once under concurrent retries, and never removes more than is available', async () => {
    const level = { productId: productId(7), warehouseId: warehouseId(1) }; // 6 units seeded
    const key = randomUUID();
    const retries = await Promise.all(Array.from({ length: 6 }, () => adjust({ ...level, delta: 4, reason: 'Delivery', idempotencyKey: key })));
    for (const result of retries) expect(result).toEqual({ stockLevel: expect.any(Object), errors: [] });
    expect(await available(level.productId, level.warehouseId)).toBe(seedStockAvailable(7, 1) + 4);

    const removals = await Promise.all(
      Array.from({ length: 14 }, () => adjust({ ...level, delta: -1, reason: 'Shrinkage', idempotencyKey: randomUUID() })),
    );
    expect(removals.filter((r) => (r as Payload).errors.length === 0)).toHaveLength(10);
    expect(await available(level.productId, level.warehouseId)).toBe(0);
  });
});
