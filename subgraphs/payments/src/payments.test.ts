import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedOrder, seedOrders } from '@storefront/seed-world';
import { admin, customer, PAYMENT_FIELDS, startPayments, TEST_PLAN, type PaymentJson, type PaymentsUnderTest } from './test-harness.ts';

let payments: PaymentsUnderTest;
beforeAll(async () => {
  payments = await startPayments();
});
afterAll(() => payments?.close());

interface Connection<Node> {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

/** Every order of the seed world that got as far as asking for a payment, i.e. all but the PENDING ones. */
const paidOrders = [...seedOrders(TEST_PLAN)].map((order, index) => ({ order, index })).filter(({ order }) => order.status !== 'PENDING');

async function pageThrough(status: string | null): Promise<PaymentJson[]> {
  const seen: PaymentJson[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page += 1) {
    const { body } = await payments.query(
      `query ($after: String, $status: PaymentStatus) { payments(first: 25, after: $after, status: $status) {
        edges { node { ${PAYMENT_FIELDS} createdAt } } pageInfo { hasNextPage hasPreviousPage endCursor }
      } }`,
      { after, status },
      admin,
    );
    expect(body.errors).toBeUndefined();
    const connection = body.data!.payments as Connection<PaymentJson>;
    expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
    seen.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) return seen;
    after = connection.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

describe('payments (admin list)', () => {
  it('pages through every seeded payment exactly once, newest first', async () => {
    const all = await pageThrough(null);
    expect(all).toHaveLength(paidOrders.length);
    expect(new Set(all.map((payment) => payment.id)).size).toBe(paidOrders.length);
    const createdAt = all.map((payment) => (payment as PaymentJson & { createdAt: string }).createdAt);
    expect([...createdAt].sort().reverse()).toEqual(createdAt);
    expect(new Set(all.map((payment) => payment.order.id))).toEqual(new Set(paidOrders.map(({ order }) => order.id)));
  });

  it('filters by status, the statuses adding up to every payment', async () => {
    const statuses = ['PENDING', 'AUTHORIZED', 'CAPTURED', 'DECLINED', 'VOIDED', 'PARTIALLY_REFUNDED', 'REFUNDED'];
    let total = 0;
    for (const status of statuses) {
      const ofStatus = await pageThrough(status);
      expect(ofStatus.every((payment) => payment.status === status)).toBe(true);
      total += ofStatus.length;
    }
    expect(total).toBe(paidOrders.length);
    const declined = await pageThrough('DECLINED');
    expect(declined.map((payment) => payment.order.id).sort()).toEqual(
      paidOrders.filter(({ order }) => order.cancelReason === 'PAYMENT_DECLINED').map(({ order }) => order.id).sort(),
    );
    expect(declined.every((payment) => payment.declineReason === 'card_declined')).toBe(true);
    expect((await pageThrough('AUTHORIZED')).length).toBe(paidOrders.filter(({ order }) => order.status === 'RESERVED').length);
  });

  it('refuses page sizes above 100 and cursors it did not issue', async () => {
    const big = await payments.query('{ payments(first: 101) { edges { cursor } } }', {}, admin);
    expect(big.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const forged = await payments.query('{ payments(after: "eyJ4IjoxfQ") { edges { cursor } } }', {}, admin);
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is for admins only', async () => {
    const anonymous = await payments.query('{ payments { edges { cursor } } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const shopper = await payments.query('{ payments { edges { cursor } } }', {}, customer);
    expect(shopper.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('payment(id)', () => {
  const PAYMENT = `query ($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} refunds { edges { node { id } } } } }`;
  const { order, index } = paidOrders.find(({ order }) => order.status === 'FULFILLED')!;
  const id = nameBasedUuid(SeedNamespace.payment, index);

  it('shows a seeded payment with the amount the order was placed for', async () => {
    const { body } = await payments.query(PAYMENT, { id }, admin);
    expect(body.errors).toBeUndefined();
    expect(body.data!.payment).toMatchObject({
      id,
      amount: { amount: order.totalCents, currency: 'EUR' },
      providerReference: expect.stringMatching(/^pi_sim_[0-9a-f]{24}$/),
      order: { id: order.id },
    });
  });

  it('answers null for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    expect((await payments.query(PAYMENT, { id: nameBasedUuid('nothing', 1) }, admin)).body.data).toEqual({ payment: null });
    const malformed = await payments.query(PAYMENT, { id: 'nope' }, admin);
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is for admins only (ownership of orders is known to the orders service)', async () => {
    expect((await payments.query(PAYMENT, { id })).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const owner = { userId: order.userId, roles: ['CUSTOMER'] as const };
    expect((await payments.query(PAYMENT, { id }, owner)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('Order.payment, as the router asks for it', () => {
  const ORDER_PAYMENTS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id payment { ${PAYMENT_FIELDS} } } } }`;
  const representations = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Order', id: seedOrder(i, TEST_PLAN).id }));

  it("gives each order its payment (none for orders that never asked for one)", async () => {
    const { body } = await payments.query(ORDER_PAYMENTS, { r: [...representations(TEST_PLAN.orders), { __typename: 'Order', id: 'not-a-uuid' }] });
    expect(body.errors).toBeUndefined();
    const entities = body.data!._entities as Array<{ id: string; payment: PaymentJson | null }>;
    expect(entities).toHaveLength(TEST_PLAN.orders + 1);
    for (const [i, order] of [...seedOrders(TEST_PLAN)].entries()) {
      const expected =
        order.status === 'PENDING'
          ? null
          : expect.objectContaining({ id: nameBasedUuid(SeedNamespace.payment, i), amount: { amount: order.totalCents, currency: 'EUR' }, order: { id: order.id } });
      expect(entities[i]).toEqual({ id: order.id, payment: expected });
    }
    expect(entities[TEST_PLAN.orders]).toEqual({ id: 'not-a-uuid', payment: null });
  });

  it('costs one SQL statement for 1 or 50 orders', async () => {
    const one = await payments.countQueries(() => payments.query(ORDER_PAYMENTS, { r: representations(1) }));
    const fifty = await payments.countQueries(() => payments.query(ORDER_PAYMENTS, { r: representations(50) }));
    expect(one).toBe(1);
    expect(fifty).toBe(one);
  });

  it('resolves Payment references in one statement too, and Payment.order back to the order', async () => {
    const ids = paidOrders.slice(0, 50).map(({ index }) => nameBasedUuid(SeedNamespace.payment, index));
    const query = (n: number) =>
      payments.query(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id status order { id payment { id } } } } }`, {
        r: ids.slice(0, n).map((id) => ({ __typename: 'Payment', id })),
      });
    const one = await payments.countQueries(() => query(1));
    const fifty = await payments.countQueries(() => query(50));
    // One statement for the payments, one for Order.payment of their orders (batched again).
    expect(one).toBe(2);
    expect(fifty).toBe(one);
    const { body } = await query(50);
    const entities = body.data!._entities as Array<{ id: string; order: { id: string; payment: { id: string } } }>;
    expect(entities.map((payment) => payment.order.payment.id)).toEqual(ids);
    expect(entities.map((payment) => payment.order.id)).toEqual(paidOrders.slice(0, 50).map(({ order }) => order.id));
  });

  it('resolves an unknown or malformed Payment reference to null', async () => {
    const { body } = await payments.query(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id } } }`, {
      r: [
        { __typename: 'Payment', id: 'not-a-uuid' },
        { __typename: 'Payment', id: nameBasedUuid('nothing', 2) },
      ],
    });
    expect(body.data).toEqual({ _entities: [null, null] });
  });
});
