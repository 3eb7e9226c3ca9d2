import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedOrders, seedStockAvailable, type SeedPlan } from '@storefront/seed-world';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '@storefront/testing';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { start } from './index.ts';
import { expireReservations } from './reservation-transitions.ts';

// 200 orders: two are RESERVED. Order A holds products 55 ×1 and 51 ×3; order B holds 27 ×4 (sold out
// everywhere, so its on-hand count was raised), 29 ×1, 2 ×1 and 58 ×1.
const PLAN: SeedPlan = { users: 20, categories: 4, products: 60, warehouses: 2, orders: 200, wishlistItemsPerUser: 2 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
const customer: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 1), ['CUSTOMER']);
const productId = (p: number) => nameBasedUuid(SeedNamespace.product, p);
const warehouseId = (w: number) => nameBasedUuid(SeedNamespace.warehouse, w);
const [seededA, seededB] = [...seedOrders(PLAN)].filter((order) => order.status === 'RESERVED');

let inventory: TestSubgraph;
/** Direct access to the test database, for what only a worker or the clock does: expiry. */
let database: ServiceDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  inventory = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
  database = await openDatabase({ target: { kind: 'postgres', url: inventory.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 2 });
  prisma = new PrismaClient({ adapter: database.adapter });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.close();
  await inventory?.close();
});

type Connection<Node> = { edges: Array<{ node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
type InputErrors = Array<{ path: string[]; code: string }>;
type Payload = { reservation: { id: string; orderId: string; status: string; expiresAt: string } | null; errors: InputErrors };
const RESULT = 'reservation { id orderId status expiresAt } errors { path code }';

async function reserve(orderId: string, items: Array<{ productId: string; quantity: number }>, ttlSeconds?: number): Promise<Payload> {
  const { body } = await inventory.query<{ reserveStock: Payload }>(
    `mutation ($input: ReserveStockInput!) { reserveStock(input: $input) { ${RESULT} } }`,
    { input: { orderId, items, ...(ttlSeconds ? { ttlSeconds } : {}) } },
  );
  expect(body.errors).toBeUndefined();
  return body.data!.reserveStock;
}

async function settle(mutation: 'releaseReservation' | 'commitReservation', orderId: string): Promise<Payload> {
  const { body } = await inventory.query<Record<string, Payload>>(`mutation ($id: ID!) { ${mutation}(orderId: $id) { ${RESULT} } }`, { id: orderId });
  expect(body.errors).toBeUndefined();
  return body.data![mutation]!;
}

/** Each product's stock summed over warehouses, and per warehouse. */
async function stockOf(...ids: string[]) {
  const { body } = await inventory.query<{ _entities: Array<{ stock: { available: number; reserved: number; levels: { edges: Array<{ node: { warehouseId: string; available: number; reserved: number } }> } } }> }>(
    'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { stock { available reserved levels { edges { node { warehouseId available reserved } } } } } } }',
    { r: ids.map((id) => ({ __typename: 'Product', id })) },
  );
  return body.data!._entities.map(({ stock }) => ({ available: stock.available, reserved: stock.reserved, levels: stock.levels.edges.map((e) => e.node) }));
}

async function newProduct(unitsPerWarehouse: number[]): Promise<string> {
  const id = randomUUID();
  for (const [w, delta] of unitsPerWarehouse.entries()) {
    const { body } = await inventory.query<{ adjustStock: { errors: InputErrors } }>(
      'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { errors { path code } } }',
      { input: { productId: id, warehouseId: warehouseId(w), delta, reason: 'Test stock', idempotencyKey: randomUUID() } },
      admin,
    );
    expect(body.data!.adjustStock.errors).toEqual([]);
  }
  return id;
}

describe('reserveStock', () => {
  it('holds all items, splitting a product across warehouses when the fullest has too few', async () => {
    const orderId = randomUUID();
    const total = seedStockAvailable(0, 0) + seedStockAvailable(0, 1);
    const before = Date.now();
    const result = await reserve(orderId, [{ productId: productId(0), quantity: 150 }, { productId: productId(1), quantity: 2 }]);
    expect(result).toEqual({ reservation: { id: expect.any(String), orderId, status: 'HELD', expiresAt: expect.any(String) }, errors: [] });
    const expiresIn = new Date(result.reservation!.expiresAt).getTime() - before;
    expect(expiresIn).toBeGreaterThanOrEqual(899_000);
    expect(expiresIn).toBeLessThanOrEqual(901_000 + 5_000);

    const [product0] = await stockOf(productId(0));
    expect(product0).toEqual({
      available: total - 150,
      reserved: 150,
      levels: [
        { warehouseId: warehouseId(1), available: seedStockAvailable(0, 1) - (150 - seedStockAvailable(0, 0)), reserved: 150 - seedStockAvailable(0, 0) },
        { warehouseId: warehouseId(0), available: 0, reserved: seedStockAvailable(0, 0) },
      ],
    });
  });

  it('returns the same reservation when repeated for the order, in any item order, without holding more', async () => {
    const orderId = randomUUID();
    const items = [{ productId: productId(3), quantity: 5 }, { productId: productId(4), quantity: 1 }];
    const first = await reserve(orderId, items);
    const [before] = await stockOf(productId(3));
    const again = await reserve(orderId, [...items].reverse());
    expect(again).toEqual(first);
    expect((await stockOf(productId(3)))[0]).toEqual(before);
    expect(before!.reserved).toBe(5);
    expect(await reserve(orderId, [{ productId: productId(3), quantity: 6 }])).toEqual({
      reservation: null,
      errors: [{ path: ['input', 'orderId'], code: 'IDEMPOTENCY_KEY_REUSED' }],
    });
  });

  it('holds nothing when any item is short, naming each short item', async () => {
    const orderId = randomUUID();
    const [before] = await stockOf(productId(5));
    const result = await reserve(orderId, [
      { productId: productId(5), quantity: 3 },
      { productId: productId(13), quantity: 1 }, // sold out everywhere
      { productId: productId(14), quantity: 1_000 },
      { productId: randomUUID(), quantity: 1 }, // never stocked
    ]);
    expect(result).toEqual({
      reservation: null,
      errors: [
        { path: ['input', 'items', '1', 'quantity'], code: 'OUT_OF_STOCK' },
        { path: ['input', 'items', '2', 'quantity'], code: 'OUT_OF_STOCK' },
        { path: ['input', 'items', '3', 'quantity'], code: 'OUT_OF_STOCK' },
      ],
    });
    expect((await stockOf(productId(5)))[0]).toEqual(before);
    expect(await prisma.reservation.count({ where: { orderId } })).toBe(0);
  });

  it('reports invalid input field by field', async () => {
    expect((await reserve('nope', [{ productId: productId(1), quantity: 1 }])).errors).toEqual([{ path: ['input', 'orderId'], code: 'INVALID' }]);
    expect((await reserve(randomUUID(), [])).errors).toEqual([{ path: ['input', 'items'], code: 'TOO_SHORT' }]);
    expect(
      (
        await reserve(randomUUID(), [
          { productId: productId(1), quantity: 0 },
          { productId: productId(1), quantity: 1 },
          { productId: 'x', quantity: 1 },
        ])
      ).errors,
    ).toEqual(
      expect.arrayContaining([
        { path: ['input', 'items', '0', 'quantity'], code: 'TOO_SMALL' },
        { path: ['input', 'items', '2', 'productId'], code: 'INVALID' },
      ]),
    );
    expect((await reserve(randomUUID(), [{ productId: productId(1), quantity: 1 }, { productId: productId(1), quantity: 2 }])).errors).toEqual([
      { path: ['input', 'items', '1', 'productId'], code: 'INVALID' },
    ]);
  });
});

describe('reservation transitions', () => {
  it('releases units back, idempotently; a released reservation cannot be committed', async () => {
    const orderId = randomUUID();
    const [before] = await stockOf(productId(6));
    await reserve(orderId, [{ productId: productId(6), quantity: 10 }]);
    expect((await stockOf(productId(6)))[0]!.reserved).toBe(before!.reserved + 10);
    expect(await settle('releaseReservation', orderId)).toMatchObject({ reservation: { orderId, status: 'RELEASED' }, errors: [] });
    expect(await settle('releaseReservation', orderId)).toMatchObject({ reservation: { orderId, status: 'RELEASED' }, errors: [] });
    expect((await stockOf(productId(6)))[0]).toEqual(before);
    expect(await settle('commitReservation', orderId)).toEqual({ reservation: null, errors: [{ path: ['orderId'], code: 'INVALID_STATE' }] });
  });

  it('commits units out of the warehouse, idempotently; a committed reservation cannot be released', async () => {
    const orderId = randomUUID();
    const [before] = await stockOf(productId(8));
    await reserve(orderId, [{ productId: productId(8), quantity: 7 }]);
    expect(await settle('commitReservation', orderId)).toMatchObject({ reservation: { status: 'COMMITTED' }, errors: [] });
    expect(await settle('commitReservation', orderId)).toMatchObject({ reservation: { status: 'COMMITTED' }, errors: [] });
    expect((await stockOf(productId(8)))[0]).toMatchObject({ available: before!.available - 7, reserved: before!.reserved });
    const onHand = await prisma.stockLevel.aggregate({ where: { productId: productId(8) }, _sum: { onHand: true } });
    expect(onHand._sum.onHand).toBe(seedStockAvailable(8, 0) + seedStockAvailable(8, 1) - 7);
    expect(await settle('releaseReservation', orderId)).toEqual({ reservation: null, errors: [{ path: ['orderId'], code: 'INVALID_STATE' }] });
  });

  it('knows no reservation for an unknown order and refuses an id that is not one', async () => {
    expect(await settle('commitReservation', randomUUID())).toEqual({ reservation: null, errors: [{ path: ['orderId'], code: 'NOT_FOUND' }] });
    expect(await settle('releaseReservation', 'SO-0000001')).toEqual({ reservation: null, errors: [{ path: ['orderId'], code: 'INVALID' }] });
  });

  it('treats a HELD reservation past its expiry as expired: units back, commit refused, release a no-op', async () => {
    const orderId = randomUUID();
    const [before] = await stockOf(productId(9));
    await reserve(orderId, [{ productId: productId(9), quantity: 4 }], 60);
    await prisma.reservation.update({ where: { orderId }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const read = await inventory.query('query ($id: ID!) { reservation(orderId: $id) { status } }', { id: orderId }, admin);
    expect(read.body.data).toEqual({ reservation: { status: 'EXPIRED' } });
    expect(await settle('commitReservation', orderId)).toEqual({ reservation: null, errors: [{ path: ['orderId'], code: 'INVALID_STATE' }] });
    expect((await prisma.reservation.findUniqueOrThrow({ where: { orderId } })).status).toBe('EXPIRED');
    expect((await stockOf(productId(9)))[0]).toEqual(before);
    expect(await settle('releaseReservation', orderId)).toMatchObject({ reservation: { status: 'EXPIRED' }, errors: [] });
    expect(await reserve(orderId, [{ productId: productId(9), quantity: 4 }])).toMatchObject({ reservation: { status: 'EXPIRED' }, errors: [] });
  });

  it('answers a repeated reserveStock for a lapsed hold with the reservation expired and its units back', async () => {
    const orderId = randomUUID();
    const items = [{ productId: productId(12), quantity: 3 }];
    const [before] = await stockOf(productId(12));
    await reserve(orderId, items);
    await prisma.reservation.update({ where: { orderId }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(await reserve(orderId, items)).toMatchObject({ reservation: { orderId, status: 'EXPIRED' }, errors: [] });
    expect((await prisma.reservation.findUniqueOrThrow({ where: { orderId } })).status).toBe('EXPIRED');
    expect((await stockOf(productId(12)))[0]).toEqual(before);
  });

  it('settles a reservation once when commit and release race', async () => {
    const orderId = randomUUID();
    const [before] = await stockOf(productId(11));
    await reserve(orderId, [{ productId: productId(11), quantity: 5 }]);
    const results = await Promise.all([settle('commitReservation', orderId), settle('releaseReservation', orderId)]);
    const winners = results.filter((r) => r.errors.length === 0);
    expect(winners).toHaveLength(1);
    const [after] = await stockOf(productId(11));
    expect(after!.reserved).toBe(before!.reserved);
    expect(after!.available).toBe(winners[0]!.reservation!.status === 'COMMITTED' ? before!.available - 5 : before!.available);
  });
});

describe('expiry', () => {
  it('expireReservations releases only HELD reservations past their expiry, in batches', async () => {
    const seeded = await prisma.reservation.findMany({ where: { orderId: { in: [seededA!.id, seededB!.id] } }, orderBy: { expiresAt: 'asc' } });
    expect(seeded.map((r) => r.status)).toEqual(['HELD', 'HELD']);
    const [earliest, latest] = seeded.map((r) => r.expiresAt);
    expect(await expireReservations(prisma, new Date(earliest!.getTime() - 1))).toBe(0);

    const [heldBefore] = await stockOf(productId(51));
    expect(heldBefore!.reserved).toBe(3);
    expect(await expireReservations(prisma, latest!, 1)).toBe(2);
    const statuses = await prisma.reservation.findMany({ where: { id: { in: seeded.map((r) => r.id) } }, select: { status: true } });
    expect(statuses).toEqual([{ status: 'EXPIRED' }, { status: 'EXPIRED' }]);
    expect((await stockOf(productId(51)))[0]).toMatchObject({ reserved: 0, available: heldBefore!.available + 3 });
    expect(await expireReservations(prisma, latest!)).toBe(0);
  });

  it('gives back lapsed holds on the products being reserved before allocating', async () => {
    const product = await newProduct([2]);
    const stale = randomUUID();
    await reserve(stale, [{ productId: product, quantity: 2 }]);
    expect((await reserve(randomUUID(), [{ productId: product, quantity: 1 }])).errors).toEqual([{ path: ['input', 'items', '0', 'quantity'], code: 'OUT_OF_STOCK' }]);
    await prisma.reservation.update({ where: { orderId: stale }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await reserve(randomUUID(), [{ productId: product, quantity: 2 }])).toMatchObject({ reservation: { status: 'HELD' }, errors: [] });
    expect((await prisma.reservation.findUniqueOrThrow({ where: { orderId: stale } })).status).toBe('EXPIRED');
    expect((await stockOf(product))[0]).toMatchObject({ available: 0, reserved: 2 });
  });
});

describe('concurrency', () => {
  it('10 parallel orders competing for 5 units: exactly 5 units held, never negative, no deadlock', async () => {
    const scarce = await newProduct([3, 2]);
    const plenty = await newProduct([100]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        // Half list the products the other way round: lock order must not depend on item order.
        reserve(randomUUID(), i % 2 ? [{ productId: scarce, quantity: 1 }, { productId: plenty, quantity: 1 }] : [{ productId: plenty, quantity: 1 }, { productId: scarce, quantity: 1 }]),
      ),
    );
    expect(results.filter((r) => r.errors.length === 0)).toHaveLength(5);
    for (const refused of results.filter((r) => r.errors.length > 0)) expect(refused.errors.map((e) => e.code)).toEqual(['OUT_OF_STOCK']);
    const [scarceStock, plentyStock] = await stockOf(scarce, plenty);
    expect(scarceStock).toMatchObject({ available: 0, reserved: 5 });
    for (const level of scarceStock!.levels) expect(level.available).toBe(0);
    expect(plentyStock).toMatchObject({ available: 95, reserved: 5 });
  });

  it('parallel repeats for one order hold its stock once', async () => {
    const product = await newProduct([10]);
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 6 }, () => reserve(orderId, [{ productId: product, quantity: 3 }])));
    expect(new Set(results.map((r) => r.reservation?.id)).size).toBe(1);
    for (const result of results) expect(result.errors).toEqual([]);
    expect((await stockOf(product))[0]).toMatchObject({ available: 7, reserved: 3 });
  });
});

describe('reservation(orderId)', () => {
  const QUERY = 'query ($id: ID!, $after: String) { reservation(orderId: $id) { orderId status items(first: 1, after: $after) { edges { node { quantity product { id } warehouse { code } } } pageInfo { hasNextPage endCursor } } } }';

  it('pages through a reservation\'s items, one product and warehouse each', async () => {
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: productId(17), quantity: 60 }, { productId: productId(19), quantity: 2 }]);
    const items: unknown[] = [];
    let after: string | null = null;
    for (;;) {
      const { body }: GraphQLResponse<{ reservation: { status: string; items: Connection<unknown> } }> = await inventory.query(QUERY, { id: orderId, after }, admin);
      expect(body.data!.reservation.status).toBe('HELD');
      items.push(...body.data!.reservation.items.edges.map((e) => e.node));
      if (!body.data!.reservation.items.pageInfo.hasNextPage) break;
      after = body.data!.reservation.items.pageInfo.endCursor;
    }
    // Product 17 has 60 in Berlin and 52 in Rotterdam: all 60 from Berlin. Product 19: Rotterdam has more.
    expect(seedStockAvailable(17, 0)).toBe(60);
    const expected = [
      { quantity: 60, product: { id: productId(17) }, warehouse: { code: 'BER' } },
      { quantity: 2, product: { id: productId(19) }, warehouse: { code: 'RTM' } },
    ].sort((a, b) => (a.product.id < b.product.id ? -1 : 1));
    expect(items).toEqual(expected);
  });

  it('shows the seeded hold of a RESERVED order, every unit of its products', async () => {
    const { body } = await inventory.query<{ reservation: { orderId: string; items: { edges: unknown[] } } }>(
      'query ($id: ID!) { reservation(orderId: $id) { orderId items { edges { node { quantity product { id } } } } } }',
      { id: seededB!.id },
      admin,
    );
    const units = seededB!.items.filter((item) => item.kind === 'PRODUCT').reduce((sum, item) => sum + item.quantity, 0);
    const edges = body.data!.reservation.items.edges as Array<{ node: { quantity: number } }>;
    expect(edges.reduce((sum, edge) => sum + edge.node.quantity, 0)).toBe(units);
  });

  it('is for admins, null for an order without one, BAD_USER_INPUT for a bad id', async () => {
    const id = seededA!.id;
    expect((await inventory.query(QUERY, { id })).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await inventory.query(QUERY, { id }, customer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await inventory.query(QUERY, { id: randomUUID() }, admin)).body.data).toEqual({ reservation: null });
    expect((await inventory.query(QUERY, { id: 'x' }, admin)).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'orderId' });
  });
});
