import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedAddresses, seedUser } from '@storefront/seed-world';
import type { TestSubgraph } from '@storefront/testing';
import {
  admin,
  customer,
  errorCodes,
  seededOrders,
  seededOrdersOf,
  startOrders,
  TEST_PLAN,
  type Edges,
} from './test-fixtures.ts';

let orders: TestSubgraph;
beforeAll(async () => {
  orders = await startOrders();
});
afterAll(() => orders?.close());

const USER_ORDERS_QUERY = `query ($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on User {
      orders(first: 5) {
        edges { node { total { amount } items(first: 10) { edges { node {
          quantity unitPrice { amount } purchasable { id } shippedFrom { productId warehouseId }
        } } } } }
      }
    }
  }
}`;

const users = (count: number) => Array.from({ length: count }, (_, i) => ({ __typename: 'User', id: nameBasedUuid(SeedNamespace.user, i + 1) }));

/** A seeded order with at least `items` items and the given status. */
function seededOrderWith(items: number, status?: string) {
  const order = seededOrders.find((o) => o.items.length >= items && (!status || o.status === status));
  if (!order) throw new Error(`The test plan has no ${status ?? ''} order with ${items} items`);
  return order;
}

describe('order(id)', () => {
  const ORDER_QUERY = `query ($id: ID!) { order(id: $id) {
    id number status cancelReason itemCount total { amount currency } placedAt updatedAt user { id }
    shippingAddress { name line1 line2 city postalCode country }
    items(first: 50) { edges { node { id quantity unitPrice { amount currency } lineTotal { amount } purchasable { __typename id } shippedFrom { productId warehouseId } } } }
  } }`;

  it("gives the owner their order as seeded: number, total, address snapshot, items at the price paid", async () => {
    const seeded = seededOrderWith(3, 'FULFILLED');
    const index = seededOrders.indexOf(seeded);
    const { body } = await orders.query(ORDER_QUERY, { id: seeded.id }, customer(seeded.userIndex));
    expect(body.errors).toBeUndefined();
    const [home] = seedAddresses(seeded.userIndex);
    expect(body.data!.order).toEqual({
      id: seeded.id,
      number: `SO-${String(index + 1).padStart(7, '0')}`,
      status: 'FULFILLED',
      cancelReason: null,
      itemCount: seeded.items.reduce((sum, item) => sum + item.quantity, 0),
      total: { amount: seeded.totalCents, currency: 'EUR' },
      placedAt: seeded.placedAt.toISOString(),
      updatedAt: seeded.updatedAt.toISOString(),
      user: { id: seeded.userId },
      shippingAddress: {
        name: seedUser(seeded.userIndex, TEST_PLAN).name,
        line1: home!.line1,
        line2: null,
        city: home!.city,
        postalCode: home!.postalCode,
        country: home!.country,
      },
      items: {
        edges: seeded.items.map((item) => ({
          node: {
            id: item.id,
            quantity: item.quantity,
            unitPrice: { amount: item.unitPriceCents, currency: 'EUR' },
            lineTotal: { amount: item.unitPriceCents * item.quantity },
            purchasable: { __typename: 'Purchasable', id: item.purchasableId },
            shippedFrom:
              item.shippedFromWarehouse === null
                ? null
                : { productId: item.purchasableId, warehouseId: nameBasedUuid(SeedNamespace.warehouse, item.shippedFromWarehouse) },
          },
        })),
      },
    });
  });

  it('shows a cancelled order with its reason, and unshipped items without a warehouse', async () => {
    const seeded = seededOrderWith(1, 'CANCELLED');
    const { body } = await orders.query(ORDER_QUERY, { id: seeded.id }, admin);
    const order = body.data!.order as { status: string; cancelReason: string; items: Edges<{ shippedFrom: unknown }> };
    expect(order.status).toBe('CANCELLED');
    expect(order.cancelReason).toBe(seeded.cancelReason);
    expect(order.items.edges.map((e) => e.node.shippedFrom)).toEqual(seeded.items.map(() => null));
  });

  it('refuses anonymous viewers and other customers, lets admins read any order', async () => {
    const seeded = seededOrders[0]!;
    const otherUser = seeded.userIndex === 1 ? 2 : 1;
    expect(errorCodes(await orders.query(ORDER_QUERY, { id: seeded.id }))).toEqual(['UNAUTHENTICATED']);
    const forbidden = await orders.query(ORDER_QUERY, { id: seeded.id }, customer(otherUser));
    expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.body.data).toEqual({ order: null });
    const { body } = await orders.query('query ($id: ID!) { order(id: $id) { id } }', { id: seeded.id }, admin);
    expect(body).toEqual({ data: { order: { id: seeded.id } } });
  });

  it('answers null for an unknown id and BAD_USER_INPUT for one that is not a UUID', async () => {
    const unknown = await orders.query('query ($id: ID!) { order(id: $id) { id } }', { id: nameBasedUuid('nothing', 1) }, admin);
    expect(unknown.body).toEqual({ data: { order: null } });
    const invalid = await orders.query('query ($id: ID!) { order(id: $id) { id } }', { id: 'SO-0000001' }, admin);
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through the items of an order exactly once', async () => {
    const seeded = seededOrderWith(4);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const { body } = await orders.query(
        'query ($id: ID!, $after: String) { order(id: $id) { items(first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }',
        { id: seeded.id, after },
        admin,
      );
      const items: Edges<{ id: string }> = (body.data!.order as { items: Edges<{ id: string }> }).items;
      expect(items.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...items.edges.map((e) => e.node.id));
      if (!items.pageInfo.hasNextPage) break;
      after = items.pageInfo.endCursor;
    }
    expect(seen).toEqual(seeded.items.map((item) => item.id));
  });
});

describe('orders (admin)', () => {
  const LIST = 'query ($after: String, $status: OrderStatus) { orders(first: 100, after: $after, status: $status) { edges { node { id placedAt status } } pageInfo { hasNextPage endCursor } } }';

  async function everyOrder(status: string | null) {
    const seen: Array<{ id: string; placedAt: string; status: string }> = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const { body } = await orders.query(LIST, { after, status }, admin);
      expect(body.errors).toBeUndefined();
      const connection = body.data!.orders as Edges<{ id: string; placedAt: string; status: string }>;
      seen.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    return seen;
  }

  it('pages through every order exactly once, newest first', async () => {
    const seen = await everyOrder(null);
    expect(seen).toHaveLength(TEST_PLAN.orders);
    expect(new Set(seen.map((o) => o.id)).size).toBe(TEST_PLAN.orders);
    expect(seen.map((o) => o.id)).toEqual([...seededOrders].reverse().map((o) => o.id));
  });

  it('filters by status', async () => {
    const seen = await everyOrder('CANCELLED');
    const expected = seededOrders.filter((o) => o.status === 'CANCELLED');
    expect(expected.length).toBeGreaterThan(0);
    expect(seen.map((o) => o.id).sort()).toEqual(expected.map((o) => o.id).sort());
  });

  it('is for admins only', async () => {
    expect(errorCodes(await orders.query(LIST, {}, customer(3)))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await orders.query(LIST, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a forged cursor and a page larger than 100', async () => {
    expect(errorCodes(await orders.query(LIST, { after: 'bm90LWEtY3Vyc29y' }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await orders.query('{ orders(first: 101) { edges { cursor } } }', {}, admin))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('User.orders through _entities', () => {
  const HISTORY = `query ($r: [_Any!]!, $after: String, $status: OrderStatus) { _entities(representations: $r) { ... on User {
    id orders(first: 2, after: $after, status: $status) { edges { node { id } } pageInfo { hasNextPage endCursor } }
  } } }`;
  const busyUser = () => {
    const counts = new Map<number, number>();
    for (const order of seededOrders) counts.set(order.userIndex, (counts.get(order.userIndex) ?? 0) + 1);
    const [userIndex] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    return userIndex;
  };

  it("pages through a user's orders, newest first, exactly once", async () => {
    const userIndex = busyUser();
    const expected = seededOrdersOf(userIndex).map((o) => o.id);
    expect(expected.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const { body } = await orders.query(HISTORY, { r: [{ __typename: 'User', id: customer(userIndex).userId }], after }, customer(userIndex));
      expect(body.errors).toBeUndefined();
      const [user] = body.data!._entities as Array<{ orders: Edges<{ id: string }> }>;
      seen.push(...user!.orders.edges.map((e) => e.node.id));
      if (!user!.orders.pageInfo.hasNextPage) break;
      after = user!.orders.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('filters a user’s orders by status', async () => {
    const userIndex = busyUser();
    const { body } = await orders.query(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 100, status: FULFILLED) { edges { node { id number status placedAt } } } } } }',
      { r: [{ __typename: 'User', id: customer(userIndex).userId }] },
      admin,
    );
    const [user] = body.data!._entities as Array<{ orders: Edges<{ id: string; number: string; status: string; placedAt: string }> }>;
    const expected = seededOrdersOf(userIndex).filter((o) => o.status === 'FULFILLED');
    expect(expected.length).toBeGreaterThan(1);
    expect(user!.orders.edges.map((e) => e.node)).toEqual(
      expected.map((o) => ({ id: o.id, number: o.number, status: 'FULFILLED', placedAt: o.placedAt.toISOString() })),
    );
  });

  it("shows a user's history only to that user or an admin", async () => {
    const r = [{ __typename: 'User', id: customer(1).userId }];
    expect(errorCodes(await orders.query(HISTORY, { r }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await orders.query(HISTORY, { r }, customer(2)))).toEqual(['FORBIDDEN']);
    expect((await orders.query(HISTORY, { r }, customer(1))).body.errors).toBeUndefined();
    expect((await orders.query(HISTORY, { r }, admin)).body.errors).toBeUndefined();
  });

  it('gives a user with no orders (or an id that is no UUID) an empty connection', async () => {
    const r = [{ __typename: 'User', id: nameBasedUuid(SeedNamespace.user, 10_000) }, { __typename: 'User', id: 'not-a-uuid' }];
    const { body } = await orders.query(HISTORY, { r }, admin);
    expect(body.errors).toBeUndefined();
    expect((body.data!._entities as Array<{ orders: Edges<unknown> }>).map((u) => u.orders.edges)).toEqual([[], []]);
  });

  it('answers 1 and 50 users, with their orders and items, in the same two statements', async () => {
    const one = await orders.countQueries(async () => {
      const { body } = await orders.query(USER_ORDERS_QUERY, { r: users(1) }, admin);
      expect(body.errors).toBeUndefined();
    });
    const fifty = await orders.countQueries(async () => {
      const { body } = await orders.query(USER_ORDERS_QUERY, { r: users(50) }, admin);
      expect(body.errors).toBeUndefined();
      const entities = body.data!._entities as Array<{ orders: Edges<{ items: Edges<unknown> }> }>;
      expect(entities).toHaveLength(50);
      const shown = entities.reduce((sum, user) => sum + user.orders.edges.length, 0);
      const expected = Array.from({ length: 50 }, (_, i) => Math.min(seededOrdersOf(i + 1).length, 5)).reduce((a, b) => a + b, 0);
      expect(shown).toBe(expected);
    });
    expect(one).toBe(2);
    expect(fifty).toBe(2);
  });
});

describe('Order entities', () => {
  const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order {
    id number itemCount total { amount } user { id } items(first: 3) { edges { node { quantity } } }
  } } }`;

  it('resolves orders by id for their owner, null for ids that are no UUID', async () => {
    const seeded = seededOrders[7]!;
    const { body } = await orders.query(ENTITIES, { r: [{ __typename: 'Order', id: seeded.id }, { __typename: 'Order', id: 'nope' }] }, customer(seeded.userIndex));
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toEqual([
      {
        id: seeded.id,
        number: 'SO-0000008',
        itemCount: seeded.items.reduce((sum, item) => sum + item.quantity, 0),
        total: { amount: seeded.totalCents },
        user: { id: seeded.userId },
        items: { edges: seeded.items.slice(0, 3).map((item) => ({ node: { quantity: item.quantity } })) },
      },
      null,
    ]);
  });

  it("refuses another customer's order", async () => {
    const seeded = seededOrders[7]!;
    const other = seeded.userIndex === 1 ? 2 : 1;
    expect(errorCodes(await orders.query(ENTITIES, { r: [{ __typename: 'Order', id: seeded.id }] }, customer(other)))).toEqual(['FORBIDDEN']);
  });

  it('answers 1 and 50 orders, with item pages and unit counts, in the same three statements', async () => {
    const representations = (count: number) => seededOrders.slice(0, count).map((o) => ({ __typename: 'Order', id: o.id }));
    const one = await orders.countQueries(() => orders.query(ENTITIES, { r: representations(1) }, admin));
    let entities: unknown[] = [];
    const fifty = await orders.countQueries(async () => {
      entities = (await orders.query(ENTITIES, { r: representations(50) }, admin)).body.data!._entities as unknown[];
    });
    expect(entities).toHaveLength(50);
    expect(entities.every((entity) => entity !== null)).toBe(true);
    expect(one).toBe(3);
    expect(fifty).toBe(3);
  });
});
