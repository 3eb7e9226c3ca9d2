import { randomUUID } from 'node:crypto';
import { type Viewer } from '@storefront/identity';
import { seedGiftCard, seedProduct } from '@storefront/seed-world';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { type TestSubgraph } from '@storefront/testing';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { admin, customer, errorCodes, giftCardId, productId, seededOrders, startOrders, TEST_PLAN, type Edges } from './test-fixtures.ts';

let orders: TestSubgraph;
let database: ServiceDatabase;
/** Direct access to the subgraph's database, to check what was written and to change replica prices. */
let prisma: PrismaClient;
beforeAll(async () => {
  orders = await startOrders();
  database = await openDatabase({ target: { kind: 'postgres', url: orders.database.url }, migrationsDir: MIGRATIONS_DIR, migrate: false, poolSize: 2 });
  prisma = new PrismaClient({ adapter: database.adapter });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.close();
  await orders?.close();
});

const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) {
  replayed
  order {
    id number status itemCount total { amount currency } user { id }
    shippingAddress { name line1 line2 city postalCode country }
    items(first: 50) { edges { node { purchasable { id } quantity unitPrice { amount currency } lineTotal { amount } shippedFrom { warehouseId } } } }
  }
  errors { path code message }
} }`;
const CANCEL = `mutation ($id: ID!) { cancelOrder(id: $id) { order { id status cancelReason } errors { path code } } }`;
const SET_CART = `mutation ($input: SetCartItemInput!) { setCartItem(input: $input) { errors { code } } }`;

const ADDRESS = { name: 'Ada Costa', line1: '12 Mill Road', line2: null, city: 'Lyon', postalCode: '69001', country: 'FR' };

interface PlacedOrder {
  id: string;
  number: string;
  status: string;
  itemCount: number;
  total: { amount: number; currency: string };
  user: { id: string };
  shippingAddress: typeof ADDRESS;
  items: Edges<{ purchasable: { id: string }; quantity: number; unitPrice: { amount: number; currency: string }; lineTotal: { amount: number }; shippedFrom: null }>;
}
interface PlaceResult {
  replayed: boolean;
  order: PlacedOrder | null;
  errors: Array<{ path: string[]; code: string; message: string }>;
}

async function place(viewer: Viewer, input: Record<string, unknown>): Promise<PlaceResult> {
  const { body } = await orders.query(PLACE, { input }, viewer);
  expect(body.errors).toBeUndefined();
  return body.data!.placeOrder as PlaceResult;
}

const fieldErrors = (result: PlaceResult) => result.errors.map(({ path, code }) => ({ path: path.join('.'), code }));
const price = (index: number) => seedProduct(index, TEST_PLAN).priceCents;
/** Orders the viewer placed through placeOrder (seeded orders have no idempotency key). */
const ordersOf = (viewer: Viewer) => prisma.order.count({ where: { userId: viewer.userId, idempotencyKey: { not: null } } });

describe('placeOrder with listed items', () => {
  it('places a PENDING order at the replica prices, with the address as given', async () => {
    const viewer = customer(21);
    const result = await place(viewer, {
      idempotencyKey: randomUUID(),
      items: [
        { purchasableId: productId(5), quantity: 2 },
        { purchasableId: giftCardId(2), quantity: 1 },
      ],
      shippingAddress: { ...ADDRESS, name: '  Ada Costa ', line2: 'Floor 3' },
    });
    expect(result.errors).toEqual([]);
    expect(result.replayed).toBe(false);
    const total = 2 * price(5) + seedGiftCard(2).priceCents;
    expect(result.order).toEqual({
      id: expect.any(String),
      number: expect.stringMatching(/^SO-\d{7}$/),
      status: 'PENDING',
      itemCount: 3,
      total: { amount: total, currency: 'EUR' },
      user: { id: viewer.userId },
      shippingAddress: { ...ADDRESS, line2: 'Floor 3' },
      items: {
        edges: [
          { node: { purchasable: { id: productId(5) }, quantity: 2, unitPrice: { amount: price(5), currency: 'EUR' }, lineTotal: { amount: 2 * price(5) }, shippedFrom: null } },
          {
            node: {
              purchasable: { id: giftCardId(2) },
              quantity: 1,
              unitPrice: { amount: seedGiftCard(2).priceCents, currency: 'EUR' },
              lineTotal: { amount: seedGiftCard(2).priceCents },
              shippedFrom: null,
            },
          },
        ],
      },
    });
    // Numbers continue after the seeded orders.
    expect(Number(result.order!.number.slice(3))).toBeGreaterThan(TEST_PLAN.orders);
  });

  it('keeps the price paid when the replica price changes later', async () => {
    const viewer = customer(22);
    const { order } = await place(viewer, { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(6), quantity: 1 }], shippingAddress: ADDRESS });
    await prisma.purchasable.update({ where: { id: productId(6) }, data: { priceCents: price(6) + 500 } });
    try {
      const { body } = await orders.query('query ($id: ID!) { order(id: $id) { total { amount } items { edges { node { unitPrice { amount } } } } } }', { id: order!.id }, viewer);
      expect(body.data!.order).toEqual({ total: { amount: price(6) }, items: { edges: [{ node: { unitPrice: { amount: price(6) } } }] } });
      const next = await place(viewer, { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(6), quantity: 1 }], shippingAddress: ADDRESS });
      expect(next.order!.total.amount).toBe(price(6) + 500);
    } finally {
      await prisma.purchasable.update({ where: { id: productId(6) }, data: { priceCents: price(6) } });
    }
  });

  it('reports every invalid field at once and places nothing', async () => {
    const viewer = customer(23);
    const result = await place(viewer, {
      idempotencyKey: 'short',
      items: [
        { purchasableId: productId(1), quantity: 0 },
        { purchasableId: productId(2), quantity: 100 },
        { purchasableId: 'SKU-000001', quantity: 1 },
        { purchasableId: productId(1), quantity: 1 },
      ],
      shippingAddress: { ...ADDRESS, name: '   ', city: '', country: 'XX' },
    });
    expect(result.order).toBeNull();
    expect(fieldErrors(result).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'input.idempotencyKey', code: 'TOO_SHORT' },
      { path: 'input.items.0.quantity', code: 'TOO_SMALL' },
      { path: 'input.items.1.quantity', code: 'TOO_BIG' },
      { path: 'input.items.2.purchasableId', code: 'INVALID' },
      { path: 'input.items.3.purchasableId', code: 'INVALID' },
      { path: 'input.shippingAddress.city', code: 'TOO_SHORT' },
      { path: 'input.shippingAddress.country', code: 'INVALID' },
      { path: 'input.shippingAddress.name', code: 'TOO_SHORT' },
    ]);
    expect(await ordersOf(viewer)).toBe(0);
  });

  it('refuses the same purchasable listed twice, an empty list, more than 50 items and a lower-case country', async () => {
    const viewer = customer(23);
    const base = { idempotencyKey: randomUUID(), shippingAddress: ADDRESS };
    const twice = await place(viewer, { ...base, items: [{ purchasableId: productId(1), quantity: 1 }, { purchasableId: productId(1), quantity: 2 }] });
    expect(fieldErrors(twice)).toEqual([{ path: 'input.items.1.purchasableId', code: 'INVALID' }]);
    expect(fieldErrors(await place(viewer, { ...base, items: [] }))).toEqual([{ path: 'input.items', code: 'TOO_SHORT' }]);
    const many = Array.from({ length: 51 }, (_, i) => ({ purchasableId: productId(i), quantity: 1 }));
    expect(fieldErrors(await place(viewer, { ...base, items: many }))).toEqual([{ path: 'input.items', code: 'TOO_LONG' }]);
    const lower = await place(viewer, { ...base, items: [{ purchasableId: productId(1), quantity: 1 }], shippingAddress: { ...ADDRESS, country: 'fr' } });
    expect(fieldErrors(lower)).toEqual([{ path: 'input.shippingAddress.country', code: 'INVALID' }]);
    expect(await ordersOf(viewer)).toBe(0);
  });

  it('refuses NUL and other control characters as INVALID_CHARACTERS instead of failing in Postgres', async () => {
    const viewer = customer(23);
    const result = await place(viewer, {
      idempotencyKey: randomUUID(),
      items: [{ purchasableId: productId(1), quantity: 1 }],
      shippingAddress: { ...ADDRESS, name: 'Ada\u0000Costa', line1: '12 Mill\nRoad', line2: '\u001b[2J', city: 'Lyon\u0085', country: 'F\u0000' },
    });
    expect(result.order).toBeNull();
    expect(fieldErrors(result).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'input.shippingAddress.city', code: 'INVALID_CHARACTERS' },
      { path: 'input.shippingAddress.country', code: 'INVALID_CHARACTERS' },
      { path: 'input.shippingAddress.line1', code: 'INVALID_CHARACTERS' },
      { path: 'input.shippingAddress.line2', code: 'INVALID_CHARACTERS' },
      { path: 'input.shippingAddress.name', code: 'INVALID_CHARACTERS' },
    ]);
    const badKey = await place(viewer, { idempotencyKey: `${randomUUID()}\u0000`, items: [{ purchasableId: productId(1), quantity: 1 }], shippingAddress: ADDRESS });
    expect(fieldErrors(badKey)).toEqual([{ path: 'input.idempotencyKey', code: 'INVALID_CHARACTERS' }]);
    expect(await ordersOf(viewer)).toBe(0);
  });

  it('reports purchasables the store does not sell as NOT_FOUND at their index', async () => {
    const viewer = customer(24);
    const result = await place(viewer, {
      idempotencyKey: randomUUID(),
      items: [{ purchasableId: productId(1), quantity: 1 }, { purchasableId: productId(TEST_PLAN.products + 5), quantity: 1 }],
      shippingAddress: ADDRESS,
    });
    expect(fieldErrors(result)).toEqual([{ path: 'input.items.1.purchasableId', code: 'NOT_FOUND' }]);
    expect(await ordersOf(viewer)).toBe(0);
  });

  it('refuses a total larger than Money can carry', async () => {
    const viewer = customer(24);
    await prisma.purchasable.update({ where: { id: productId(7) }, data: { priceCents: 100_000_000 } });
    try {
      const result = await place(viewer, { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(7), quantity: 99 }], shippingAddress: ADDRESS });
      expect(fieldErrors(result)).toEqual([{ path: 'input.items', code: 'TOO_BIG' }]);
    } finally {
      await prisma.purchasable.update({ where: { id: productId(7) }, data: { priceCents: price(7) } });
    }
  });

  it('needs a signed-in viewer', async () => {
    const { body } = await orders.query(PLACE, { input: { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(1), quantity: 1 }], shippingAddress: ADDRESS } });
    expect(errorCodes({ status: 200, body })).toEqual(['UNAUTHENTICATED']);
  });
});

describe('placeOrder idempotency', () => {
  const input = (key: string, quantity = 1) => ({ idempotencyKey: key, items: [{ purchasableId: productId(8), quantity }], shippingAddress: ADDRESS });

  it('replays the first order for a retry with the same key and input', async () => {
    const viewer = customer(25);
    const key = randomUUID();
    const first = await place(viewer, input(key));
    // Whitespace the client adds on retry does not make it different input.
    const retry = await place(viewer, { ...input(key), shippingAddress: { ...ADDRESS, city: ' Lyon ' } });
    expect(first.replayed).toBe(false);
    expect(retry).toEqual({ ...first, replayed: true });
    expect(await ordersOf(viewer)).toBe(1);
  });

  it('refuses the same key with different input', async () => {
    const viewer = customer(26);
    const key = randomUUID();
    await place(viewer, input(key));
    const reused = await place(viewer, input(key, 2));
    expect(reused.order).toBeNull();
    expect(fieldErrors(reused)).toEqual([{ path: 'input.idempotencyKey', code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect(await ordersOf(viewer)).toBe(1);
  });

  it('scopes keys to the user: another user may use the same key', async () => {
    const key = randomUUID();
    const mine = await place(customer(27), input(key));
    const theirs = await place(customer(28), input(key));
    expect(theirs.replayed).toBe(false);
    expect(theirs.order!.id).not.toBe(mine.order!.id);
  });

  it('places exactly one order for 5 concurrent requests with one key', async () => {
    const viewer = customer(29);
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => place(viewer, input(key))));
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.order!.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await ordersOf(viewer)).toBe(1);
  });
});

describe('placeOrder from the cart', () => {
  async function fillCart(viewer: Viewer, lines: Array<[string, number]>) {
    for (const [purchasableId, quantity] of lines) {
      const { body } = await orders.query(SET_CART, { input: { purchasableId, quantity } }, viewer);
      expect(body.data).toEqual({ setCartItem: { errors: [] } });
    }
  }
  const cartCount = async (viewer: Viewer) => (await orders.query('{ cart { itemCount } }', {}, viewer)).body.data!.cart;

  it('orders the cart when no items are listed, then empties it', async () => {
    const viewer = customer(30);
    await fillCart(viewer, [[productId(10), 2], [productId(11), 1]]);
    const result = await place(viewer, { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
    expect(result.errors).toEqual([]);
    const lines = result.order!.items.edges.map((e) => [e.node.purchasable.id, e.node.quantity, e.node.unitPrice.amount]);
    expect(lines).toEqual(
      [
        [productId(10), 2, price(10)],
        [productId(11), 1, price(11)],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );
    expect(result.order!.total.amount).toBe(2 * price(10) + price(11));
    expect(await cartCount(viewer)).toEqual({ itemCount: 0 });
  });

  it('refuses an empty cart, or none, as INVALID_STATE', async () => {
    const none = await place(customer(31), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
    expect(fieldErrors(none)).toEqual([{ path: 'input.items', code: 'INVALID_STATE' }]);
    const viewer = customer(30);
    const emptied = await place(viewer, { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
    expect(fieldErrors(emptied)).toEqual([{ path: 'input.items', code: 'INVALID_STATE' }]);
  });

  it('places one order for 5 concurrent checkouts of the cart with one key (no "empty cart" for the losers)', async () => {
    const viewer = customer(32);
    await fillCart(viewer, [[productId(12), 1]]);
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => place(viewer, { idempotencyKey: key, shippingAddress: ADDRESS })));
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.order!.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await ordersOf(viewer)).toBe(1);
  });
});

describe('cancelOrder', () => {
  type CancelResult = { order: { id: string; status: string; cancelReason: string | null } | null; errors: Array<{ path: string[]; code: string }> };
  async function cancel(viewer: Viewer | undefined, id: string) {
    return orders.query(CANCEL, { id }, viewer);
  }
  const result = (response: Awaited<ReturnType<typeof cancel>>) => response.body.data!.cancelOrder as CancelResult;
  const newOrder = async (viewer: Viewer) =>
    (await place(viewer, { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(13), quantity: 1 }], shippingAddress: ADDRESS })).order!.id;

  it("cancels the owner's pending order at the customer's request and records it in the history", async () => {
    const viewer = customer(33);
    const id = await newOrder(viewer);
    expect(result(await cancel(viewer, id))).toEqual({ order: { id, status: 'CANCELLED', cancelReason: 'CUSTOMER_REQUEST' }, errors: [] });
    expect(await prisma.orderStatusChange.findMany({ where: { orderId: id }, select: { fromStatus: true, toStatus: true, reason: true } })).toEqual([
      { fromStatus: 'PENDING', toStatus: 'CANCELLED', reason: 'CUSTOMER_REQUEST' },
    ]);
    expect(result(await cancel(viewer, id))).toEqual({ order: null, errors: [{ path: ['id'], code: 'INVALID_STATE' }] });
  });

  it('refuses paid, fulfilled and cancelled orders; an admin may cancel a reserved one', async () => {
    for (const status of ['PAID', 'FULFILLED', 'CANCELLED']) {
      const seeded = seededOrders.find((o) => o.status === status)!;
      expect(result(await cancel(admin, seeded.id))).toEqual({ order: null, errors: [{ path: ['id'], code: 'INVALID_STATE' }] });
    }
    const reserved = seededOrders.find((o) => o.status === 'RESERVED')!;
    expect(result(await cancel(admin, reserved.id)).order).toEqual({ id: reserved.id, status: 'CANCELLED', cancelReason: 'CUSTOMER_REQUEST' });
  });

  it('is for the owner or an admin only', async () => {
    const id = await newOrder(customer(34));
    expect(errorCodes(await cancel(undefined, id))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await cancel(customer(35), id))).toEqual(['FORBIDDEN']);
    expect((await prisma.order.findUnique({ where: { id } }))?.status).toBe('PENDING');
  });

  it('reports unknown orders as NOT_FOUND and ids that are no UUID as BAD_USER_INPUT', async () => {
    expect(result(await cancel(admin, randomUUID()))).toEqual({ order: null, errors: [{ path: ['id'], code: 'NOT_FOUND' }] });
    expect(errorCodes(await cancel(admin, 'SO-0000001'))).toEqual(['BAD_USER_INPUT']);
  });

  it('cancels once when asked 5 times concurrently', async () => {
    const viewer = customer(36);
    const id = await newOrder(viewer);
    const results = (await Promise.all(Array.from({ length: 5 }, () => cancel(viewer, id)))).map(result);
    expect(results.filter((r) => r.errors.length === 0)).toHaveLength(1);
    expect(results.flatMap((r) => r.errors.map((e) => e.code))).toEqual(Array(4).fill('INVALID_STATE'));
    expect(await prisma.orderStatusChange.count({ where: { orderId: id } })).toBe(1);
  });
});

describe('the OrderPlaced event and the first saga command (transactional outbox)', () => {
  const outboxFor = (orderId: string, type = 'OrderPlaced') => prisma.outboxEvent.findMany({ where: { aggregateId: orderId, type } });

  it('are written with the order, once, whatever the retries; a refused order writes none', async () => {
    const viewer = customer(6);
    const input = { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(4), quantity: 3 }], shippingAddress: ADDRESS };
    const placed = await place(viewer, input);
    await place(viewer, input);
    await Promise.all([place(viewer, input), place(viewer, input)]);
    const events = await outboxFor(placed.order!.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'OrderPlaced', version: 1, source: 'orders', publishedAt: null, attempts: 0 });
    expect(events[0]!.correlationId).toEqual(expect.any(String));
    expect(events[0]!.payload).toEqual({
      orderId: placed.order!.id,
      userId: viewer.userId,
      items: [{ purchasableId: productId(4), quantity: 3, unitPrice: { amount: price(4), currency: 'EUR' } }],
      total: { amount: price(4) * 3, currency: 'EUR' },
    });
    // The checkout saga starts in the same transaction: one saga row, one command to inventory.
    const commands = await outboxFor(placed.order!.id, 'StockReservationRequested');
    expect(commands).toHaveLength(1);
    expect(commands[0]!.payload).toEqual({ orderId: placed.order!.id, items: [{ purchasableId: productId(4), quantity: 3 }] });
    expect(await prisma.orderSaga.findUnique({ where: { orderId: placed.order!.id } })).toMatchObject({ state: 'RESERVING_STOCK' });

    const before = await prisma.outboxEvent.count();
    const refusedOrder = await place(viewer, { ...input, idempotencyKey: randomUUID(), items: [{ purchasableId: randomUUID(), quantity: 1 }] });
    expect(refusedOrder.order).toBeNull();
    expect(await prisma.outboxEvent.count()).toBe(before);
  });
});
