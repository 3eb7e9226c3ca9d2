import { seedGiftCard, seedProduct } from '@storefront/seed-world';
import type { TestSubgraph } from '@storefront/testing';
import { customer, errorCodes, giftCardId, productId, startOrders, TEST_PLAN, type Edges } from './test-fixtures.ts';

let orders: TestSubgraph;
beforeAll(async () => {
  orders = await startOrders();
});
afterAll(() => orders?.close());

const SET = `mutation ($input: SetCartItemInput!) { setCartItem(input: $input) {
  cart { id itemCount total { amount currency } }
  errors { path code message }
} }`;
const CART = `query ($after: String, $first: Int) { cart {
  id itemCount total { amount currency }
  items(first: $first, after: $after) {
    edges { node { purchasable { __typename id } quantity unitPrice { amount currency } lineTotal { amount currency } } }
    pageInfo { hasNextPage endCursor }
  }
} }`;

interface CartItemNode {
  purchasable: { __typename: string; id: string };
  quantity: number;
  unitPrice: { amount: number; currency: string };
  lineTotal: { amount: number; currency: string };
}
interface CartShape {
  id: string;
  itemCount: number;
  total: { amount: number; currency: string };
  items: Edges<CartItemNode>;
}
type SetResult = { cart: { id: string; itemCount: number; total: { amount: number } } | null; errors: Array<{ path: string[]; code: string }> };

const price = (index: number) => seedProduct(index, TEST_PLAN).priceCents;

async function set(userIndex: number, purchasableId: string, quantity: number): Promise<SetResult> {
  const { body } = await orders.query(SET, { input: { purchasableId, quantity } }, customer(userIndex));
  expect(body.errors).toBeUndefined();
  return body.data!.setCartItem as SetResult;
}

async function cartOf(userIndex: number, first = 50): Promise<CartShape | null> {
  const { body } = await orders.query(CART, { first }, customer(userIndex));
  expect(body.errors).toBeUndefined();
  return body.data!.cart as CartShape | null;
}

describe('cart', () => {
  it('is null for a user who never used one, and refuses anonymous viewers', async () => {
    expect(await cartOf(40)).toBeNull();
    expect(errorCodes(await orders.query(CART))).toEqual(['UNAUTHENTICATED']);
  });

  it("adds, changes and removes items, always at today's prices", async () => {
    const added = await set(41, productId(3), 2);
    expect(added.errors).toEqual([]);
    expect(added.cart).toEqual({ id: expect.any(String), itemCount: 2, total: { amount: 2 * price(3), currency: 'EUR' } });
    await set(41, giftCardId(1), 1);
    await set(41, productId(3), 5);

    const cart = await cartOf(41);
    expect(cart?.id).toBe(added.cart?.id);
    expect(cart?.itemCount).toBe(6);
    expect(cart?.total).toEqual({ amount: 5 * price(3) + seedGiftCard(1).priceCents, currency: 'EUR' });
    const expected = [
      { id: productId(3), quantity: 5, unit: price(3) },
      { id: giftCardId(1), quantity: 1, unit: seedGiftCard(1).priceCents },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(cart?.items.edges.map((e) => e.node)).toEqual(
      expected.map(({ id, quantity, unit }) => ({
        purchasable: { __typename: 'Purchasable', id },
        quantity,
        unitPrice: { amount: unit, currency: 'EUR' },
        lineTotal: { amount: unit * quantity, currency: 'EUR' },
      })),
    );

    const removed = await set(41, productId(3), 0);
    expect(removed.cart?.itemCount).toBe(1);
    expect((await cartOf(41))?.items.edges.map((e) => e.node.purchasable.id)).toEqual([giftCardId(1)]);
  });

  it('removing from a cart that does not exist is a no-op', async () => {
    expect(await set(42, productId(1), 0)).toEqual({ cart: null, errors: [] });
    expect(await cartOf(42)).toBeNull();
  });

  it('refuses invalid input and unknown purchasables with field errors', async () => {
    const codes = async (input: Record<string, unknown>) => {
      const { body } = await orders.query(SET, { input }, customer(43));
      return (body.data!.setCartItem as SetResult).errors.map(({ path, code }) => ({ path, code }));
    };
    expect(await codes({ purchasableId: productId(1), quantity: -1 })).toEqual([{ path: ['input', 'quantity'], code: 'TOO_SMALL' }]);
    expect(await codes({ purchasableId: productId(1), quantity: 100 })).toEqual([{ path: ['input', 'quantity'], code: 'TOO_BIG' }]);
    expect(await codes({ purchasableId: 'SKU-000001', quantity: 1 })).toEqual([{ path: ['input', 'purchasableId'], code: 'INVALID' }]);
    expect(await codes({ purchasableId: productId(TEST_PLAN.products + 1), quantity: 1 })).toEqual([
      { path: ['input', 'purchasableId'], code: 'NOT_FOUND' },
    ]);
    expect(await cartOf(43)).toBeNull();
    expect(errorCodes(await orders.query(SET, { input: { purchasableId: productId(1), quantity: 1 } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('holds at most 50 different items, even when they are added concurrently', async () => {
    const results = await Promise.all(Array.from({ length: 55 }, (_, i) => set(44, productId(i), 1)));
    expect(results.filter((r) => r.errors.length === 0)).toHaveLength(50);
    expect(results.flatMap((r) => r.errors).map((e) => e.code)).toEqual(Array(5).fill('INVALID_STATE'));
    expect((await cartOf(44))?.itemCount).toBe(50);
    const added = results.flatMap((r, i) => (r.errors.length ? [] : [productId(i)]));
    // A full cart still takes new quantities of what it holds.
    expect((await set(44, added[0]!, 3)).errors).toEqual([]);
    expect((await cartOf(44))?.itemCount).toBe(52);
  });

  it('pages through the items exactly once', async () => {
    for (let i = 0; i < 7; i += 1) await set(45, productId(i), 1);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const { body } = await orders.query(CART, { first: 3, after }, customer(45));
      const { items } = body.data!.cart as CartShape;
      seen.push(...items.edges.map((e) => e.node.purchasable.id));
      if (!items.pageInfo.hasNextPage) break;
      after = items.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => productId(i)).sort());
  });

  it('reads a cart with its items and totals in three statements', async () => {
    await set(46, productId(9), 1);
    expect(await orders.countQueries(() => cartOf(46))).toBe(3);
  });
});
