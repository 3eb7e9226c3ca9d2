import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedOrder, type SeedPlan } from '@storefront/seed-world';
import type { TestViewer } from '@storefront/testing';
import { accessRulesOf } from '@storefront/router';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { startStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

/*
 * The router's authorization over the whole store: @authenticated, @requiresScopes and @policy from the
 * subgraphs' SDL, enforced by the router before any subgraph is called. Each test counts the SQL statements of
 * the subgraph that owns a removed field, so it fails if the router stops removing it (the subgraph's own
 * check would then answer, but only after doing the work).
 */

const PLAN: SeedPlan = { users: 8, categories: 2, products: 20, warehouses: 1, orders: 40, wishlistItemsPerUser: 1 };
const admin: TestViewer = { userId: nameBasedUuid(SeedNamespace.user, 0), roles: ['ADMIN', 'CUSTOMER'] };
const customer = (i: number): TestViewer => ({ userId: nameBasedUuid(SeedNamespace.user, i), roles: ['CUSTOMER'] });

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack(PLAN);
});
afterAll(() => stack?.close());

const unauthorized = (response: GraphQLResponse) =>
  (response.body.errors ?? [])
    .filter((error) => error.extensions?.code === 'UNAUTHORIZED')
    .map((error) => (error as { path?: Array<string | number> }).path)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The response to `query` and the SQL statements each subgraph ran for it. */
async function measured(query: string, variables: Record<string, unknown>, viewer?: TestViewer) {
  let response: GraphQLResponse | undefined;
  const statements = await stack.countQueries(async () => {
    response = await stack.query(query, variables, viewer);
  });
  if (!response) throw new Error('no response');
  return { response, statements };
}

it('keeps the directives in the composed supergraph, where the router reads them', () => {
  const rules = accessRulesOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
  expect(rules.forField('User', 'orders')?.authenticated).toBe(true);
  expect(rules.forField('Query', 'users')?.scopes).toEqual([[['admin']]]);
  expect(rules.forField('Query', 'order')?.policies).toEqual([[['order_owner']]]);
  expect(rules.forType('Order')?.policies).toEqual([[['order_owner']]]);
});

describe('anonymous callers', () => {
  it("get null and UNAUTHORIZED for me.orders while the rest of the query answers; orders is never asked", async () => {
    const { response, statements } = await measured(
      '{ products(first: 2) { edges { node { name } } } me { name orders(first: 3) { edges { node { number } } } } }',
      {},
    );
    expect(response.status).toBe(200);
    expect((response.body.data?.products as { edges: unknown[] }).edges).toHaveLength(2);
    expect(response.body.data?.me).toBeNull();
    expect(unauthorized(response)).toEqual([['me', 'orders']]);
    expect(statements.orders).toBe(0);
  });

  it('keep a user whose protected fields are removed, as those fields are nullable (the rule of README, "Nullability across subgraphs")', async () => {
    const id = nameBasedUuid(SeedNamespace.user, 2);
    const removed = await measured('query ($id: ID!) { user(id: $id) { name orders(first: 2) { edges { node { number } } } } }', { id });
    expect(removed.response.body.data).toEqual({ user: { name: expect.any(String), orders: null } });
    expect(unauthorized(removed.response)).toEqual([['user', 'orders']]);
    expect(removed.statements.orders).toBe(0);
    const nullable = await stack.query('query ($id: ID!) { user(id: $id) { name defaultAddress { city } } }', { id });
    expect(nullable.body.data?.user).toEqual({ name: expect.any(String), defaultAddress: null });
    expect(unauthorized(nullable)).toEqual([['user', 'defaultAddress']]);
  });

  it('are refused an order by id (@policy order_owner) before the orders subgraph is asked', async () => {
    const { response, statements } = await measured('query ($id: ID!) { order(id: $id) { number } }', { id: seedOrder(1, PLAN).id });
    expect(response.body.data).toEqual({ order: null });
    expect(unauthorized(response)).toEqual([['order']]);
    expect(statements.orders).toBe(0);
  });

  it('cannot run a checkout mutation: data null (the field is non-null), no subgraph work, no 500', async () => {
    const input = {
      idempotencyKey: randomUUID(),
      items: [{ purchasableId: randomUUID(), quantity: 1 }],
      shippingAddress: { name: 'Nobody', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
    };
    const { response, statements } = await measured('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code } } }', { input });
    expect(response.status).toBe(200);
    expect(response.body.data).toBeNull();
    expect(unauthorized(response)).toEqual([['placeOrder']]);
    expect(Object.values(statements).every((count) => count === 0)).toBe(true);
  });

  it('are judged through aliases, named fragments and variables', async () => {
    const response = await stack.query(
      `query Mine($first: Int!) { catalogue: products(first: $first) { edges { node { ...Card } } } mine: me { ...Me } }
       fragment Card on Product { title: name }
       fragment Me on User { displayName: name history: orders(first: $first) { edges { node { number } } } }`,
      { first: 1 },
    );
    expect((response.body.data?.catalogue as { edges: Array<{ node: { title: string } }> }).edges[0]?.node.title).toEqual(expect.any(String));
    expect(unauthorized(response)).toEqual([['mine', 'history']]);
  });
});

describe('customers and admins', () => {
  const ADMIN_VIEWS = `query ($paymentId: ID!, $orderId: ID!) {
    me { name }
    payment(id: $paymentId) { status }
    reservation(orderId: $orderId) { status }
  }`;

  it('a customer gets UNAUTHORIZED for the admin fields only, and their subgraphs are not asked', async () => {
    const viewer = customer(3);
    const { response, statements } = await measured(ADMIN_VIEWS, { paymentId: randomUUID(), orderId: seedOrder(1, PLAN).id }, viewer);
    expect(response.body.data).toEqual({ me: { name: expect.any(String) }, payment: null, reservation: null });
    expect(unauthorized(response)).toEqual([['payment'], ['reservation']]);
    expect(statements.payments).toBe(0);
    expect(statements.inventory).toBe(0);
    // Root query fields are nullable, so a refused list leaves the rest of the query standing.
    const list = await measured('{ users(first: 2) { edges { node { id } } } me { name } }', {}, viewer);
    expect(list.response.body.data).toEqual({ users: null, me: { name: expect.any(String) } });
    expect(unauthorized(list.response)).toEqual([['users']]);
    // A non-null root field (a mutation's payload) that is refused takes the whole data with it, as GraphQL requires.
    const mutation = await measured('mutation { adjustStock(input: { productId: "p", warehouseId: "w", delta: 1, reason: "count", idempotencyKey: "k-1" }) { errors { code } } }', {}, viewer);
    expect(mutation.response.body.data).toBeNull();
    expect(unauthorized(mutation.response)).toEqual([['adjustStock']]);
    expect([list.statements.inventory, mutation.statements.inventory]).toEqual([0, 0]);
  });

  it('an admin gets the admin fields', async () => {
    const response = await stack.query(
      `{ users(first: 2) { edges { node { id } } } orders(first: 2) { edges { node { number user { name } } } }
         payments(first: 2) { edges { node { status } } } lowStock(threshold: 100000, first: 2) { edges { node { available } } } }`,
      {},
      admin,
    );
    expect(response.body.errors).toBeUndefined();
    for (const list of ['users', 'orders', 'payments', 'lowStock']) expect((response.body.data?.[list] as { edges: unknown[] }).edges).toHaveLength(2);
  });

  it("a customer reads their own order; another's is still refused by the orders subgraph (row-level check)", async () => {
    const order = seedOrder(5, PLAN);
    const own = await stack.query('query ($id: ID!) { order(id: $id) { number } }', { id: order.id }, customer(order.userIndex));
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data?.order).toEqual({ number: expect.any(String) });
    const other = await stack.query('query ($id: ID!) { order(id: $id) { number } }', { id: order.id }, customer(order.userIndex === 1 ? 2 : 1));
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('the same query answers each caller by their own rights (plans are not shared across filters)', async () => {
    const query = '{ me { name orders(first: 1) { edges { node { number } } } } }';
    const order = seedOrder(7, PLAN);
    const signedIn = await stack.query(query, {}, customer(order.userIndex));
    expect(signedIn.body.errors).toBeUndefined();
    expect((signedIn.body.data?.me as { orders: { edges: unknown[] } }).orders.edges).toHaveLength(1);
    expect(unauthorized(await stack.query(query, {}))).toEqual([['me', 'orders']]);
    expect((await stack.query(query, {}, customer(order.userIndex))).body.errors).toBeUndefined();
  });
});
