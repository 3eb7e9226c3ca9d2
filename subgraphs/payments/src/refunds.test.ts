import { randomUUID } from 'node:crypto';
import {
  admin,
  customer,
  PAYMENT_FIELDS,
  startPayments,
  type InputErrorJson,
  type PaymentJson,
  type PaymentsUnderTest,
} from './test-harness.ts';

let payments: PaymentsUnderTest;
beforeAll(async () => {
  payments = await startPayments();
});
afterAll(() => payments?.close());
afterEach(() => payments.resetSimulator());

interface RefundJson {
  id: string;
  amount: { amount: number; currency: string };
  reason: string;
  status: string;
}
type RefundPayload = { refund: RefundJson | null; payment: PaymentJson | null; errors: InputErrorJson[] };

const REFUND = `mutation ($input: RefundPaymentInput!) {
  refundPayment(input: $input) {
    refund { id amount { amount currency } reason status }
    payment { ${PAYMENT_FIELDS} }
    errors { path code message }
  }
}`;

async function refund(input: Record<string, unknown>): Promise<RefundPayload> {
  const { body } = await payments.query(REFUND, { input }, admin);
  expect(body.errors).toBeUndefined();
  return body.data!.refundPayment as RefundPayload;
}

const refundOf = (payment: { id: string }, amount: number, reason = 'Item arrived damaged') => ({
  paymentId: payment.id,
  amount,
  reason,
  idempotencyKey: randomUUID(),
});

/** A new order's payment, authorized and captured through the API. */
async function capturedPayment(amount: number): Promise<PaymentJson> {
  const orderId = randomUUID();
  await payments.query('mutation ($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { errors { code } } }', {
    input: { orderId, amount, currency: 'EUR' },
  });
  const { body } = await payments.query(`mutation ($orderId: ID!) { capturePayment(orderId: $orderId) { payment { ${PAYMENT_FIELDS} } } }`, { orderId });
  const payment = (body.data!.capturePayment as { payment: PaymentJson }).payment;
  expect(payment.status).toBe('CAPTURED');
  return payment;
}

const codes = (payload: { errors: InputErrorJson[] }) => payload.errors.map((error) => ({ path: error.path, code: error.code }));

async function refundsOf(paymentId: string, first: number, after: string | null = null) {
  const { body } = await payments.query(
    `query ($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) { ... on Payment {
      refunds(first: $first, after: $after) { edges { node { id amount { amount } status } } pageInfo { hasNextPage endCursor } }
    } } }`,
    { r: [{ __typename: 'Payment', id: paymentId }], first, after },
  );
  expect(body.errors).toBeUndefined();
  return (body.data!._entities as Array<{ refunds: { edges: Array<{ node: { id: string; amount: { amount: number }; status: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>)[0]!.refunds;
}

describe('refundPayment', () => {
  it('refunds in parts: CAPTURED → PARTIALLY_REFUNDED → REFUNDED, then nothing more', async () => {
    const payment = await capturedPayment(10_000);
    const partial = await refund(refundOf(payment, 2_500, '  Late delivery goodwill '));
    expect(partial).toEqual({
      errors: [],
      refund: { id: expect.any(String), amount: { amount: 2_500, currency: 'EUR' }, reason: 'Late delivery goodwill', status: 'SUCCEEDED' },
      payment: { ...payment, status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 2_500, currency: 'EUR' } },
    });
    const rest = await refund(refundOf(payment, 7_500));
    expect(rest.payment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 10_000 } });
    const more = await refund(refundOf(payment, 1));
    expect(codes(more)).toEqual([{ path: ['input', 'paymentId'], code: 'INVALID_STATE' }]);
    expect(payments.simulator.entry(payment.providerReference!)).toMatchObject({ capturedCents: 10_000, refundedCents: 10_000 });
    expect((await refundsOf(payment.id, 10)).edges.map((edge) => edge.node.amount.amount)).toEqual([2_500, 7_500]);
  });

  it('refuses more than what remains, naming the remainder', async () => {
    const payment = await capturedPayment(5_000);
    await refund(refundOf(payment, 2_000));
    const tooMuch = await refund(refundOf(payment, 3_001));
    expect(tooMuch.refund).toBeNull();
    expect(codes(tooMuch)).toEqual([{ path: ['input', 'amount'], code: 'TOO_BIG' }]);
    expect(tooMuch.errors[0]?.message).toBe('At most 3000 can still be refunded');
  });

  it('lets at most two of five concurrent 40% refunds through', async () => {
    const payment = await capturedPayment(10_000);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refund(refundOf(payment, 4_000))));
    const succeeded = answers.filter((answer) => answer.refund?.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(2);
    expect(answers.filter((answer) => answer.errors[0]?.code === 'TOO_BIG')).toHaveLength(3);
    const { body } = await payments.query(`query ($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`, { id: payment.id }, admin);
    expect(body.data!.payment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 8_000 } });
    expect(payments.simulator.entry(payment.providerReference!)?.refundedCents).toBe(8_000);
  });

  it('returns the first refund again for a retried idempotency key, and refuses the key for another refund', async () => {
    const payment = await capturedPayment(9_000);
    const input = refundOf(payment, 1_000);
    const first = await refund(input);
    const again = await refund(input);
    expect(again).toEqual(first);
    const concurrent = await Promise.all([refund(input), refund(input), refund(input)]);
    for (const answer of concurrent) expect(answer.refund?.id).toBe(first.refund?.id);
    expect(payments.simulator.entry(payment.providerReference!)?.refundedCents).toBe(1_000);

    const reused = await refund({ ...input, amount: 1_001 });
    expect(reused.refund).toBeNull();
    expect(codes(reused)).toEqual([{ path: ['input', 'idempotencyKey'], code: 'IDEMPOTENCY_KEY_REUSED' }]);
  });

  it('refunds one key only once even when concurrent first requests race', async () => {
    const payment = await capturedPayment(9_000);
    const input = refundOf(payment, 3_000);
    const answers = await Promise.all(Array.from({ length: 4 }, () => refund(input)));
    // A duplicate that arrives while the first request still waits on the provider is told to retry (like
    // Stripe's 409 for a key in use); every answer that has a refund has the same one.
    const settled = answers.filter((answer) => answer.errors.length === 0);
    expect(settled.length).toBeGreaterThan(0);
    expect(new Set(settled.map((answer) => answer.refund?.id)).size).toBe(1);
    for (const answer of answers.filter((a) => a.errors.length)) expect(codes(answer)).toEqual([{ path: ['input', 'idempotencyKey'], code: 'INVALID_STATE' }]);
    expect((await refund(input)).refund?.id).toBe(settled[0]?.refund?.id);
    expect(payments.simulator.entry(payment.providerReference!)?.refundedCents).toBe(3_000);
    const { body } = await payments.query(`query ($id: ID!) { payment(id: $id) { refundedAmount { amount } } }`, { id: payment.id }, admin);
    expect(body.data!.payment).toEqual({ refundedAmount: { amount: 3_000 } });
  });

  it('keeps a refund the provider did not answer pending and hidden; the retry with the same key settles it once', async () => {
    const payment = await capturedPayment(8_000);
    const input = refundOf(payment, 8_000);
    payments.simulator.configure({ latencyMs: 2_500 });
    const late = await refund(input);
    expect(late.refund).toBeNull();
    expect(codes(late)).toEqual([{ path: ['input', 'idempotencyKey'], code: 'INVALID_STATE' }]);
    expect(late.payment).toMatchObject({ status: 'CAPTURED', refundedAmount: { amount: 0 } });
    expect((await refundsOf(payment.id, 10)).edges).toEqual([]);
    // The pending amount is reserved: nothing else can be refunded meanwhile.
    expect(codes(await refund(refundOf(payment, 1)))).toEqual([{ path: ['input', 'amount'], code: 'TOO_BIG' }]);

    payments.simulator.configure({ latencyMs: 0 });
    const settled = await refund(input);
    expect(settled).toMatchObject({ errors: [], refund: { status: 'SUCCEEDED' }, payment: { status: 'REFUNDED', refundedAmount: { amount: 8_000 } } });
    expect(payments.simulator.entry(payment.providerReference!)?.refundedCents).toBe(8_000);
    expect((await payments.providerCalls(payment.id)).filter((call) => call.operation === 'REFUND').map((call) => call.outcome)).toEqual([
      'TIMEOUT',
      'SUCCEEDED',
    ]);
  });

  it('records a refund the provider refuses as FAILED and releases its amount', async () => {
    const payment = await capturedPayment(10_000);
    // Refunded outside the store (in the provider's dashboard): the provider knows less remains than we do.
    await payments.simulator.refund({ reference: payment.providerReference!, amountCents: 9_000 }, { idempotencyKey: randomUUID() });
    const failed = await refund(refundOf(payment, 5_000));
    expect(failed).toMatchObject({ errors: [], refund: { status: 'FAILED' }, payment: { status: 'CAPTURED', refundedAmount: { amount: 0 } } });
    expect(await refund(refundOf(payment, 1_000))).toMatchObject({ errors: [], refund: { status: 'SUCCEEDED' } });
    expect((await refundsOf(payment.id, 10)).edges.map((edge) => edge.node.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect((await payments.providerCalls(payment.id)).filter((call) => call.operation === 'REFUND')).toEqual([
      { operation: 'REFUND', outcome: 'REFUSED', error: 'amount_exceeds_refundable' },
      { operation: 'REFUND', outcome: 'SUCCEEDED', error: null },
    ]);
  });

  it('refunds a seeded payment the simulator never saw (it recalls it from our records)', async () => {
    const { body } = await payments.query(`{ payments(first: 1, status: CAPTURED) { edges { node { ${PAYMENT_FIELDS} } } } }`, {}, admin);
    const [edge] = (body.data!.payments as { edges: Array<{ node: PaymentJson }> }).edges;
    const seeded = edge!.node;
    const answer = await refund(refundOf(seeded, seeded.amount.amount));
    expect(answer).toMatchObject({ errors: [], refund: { status: 'SUCCEEDED' }, payment: { status: 'REFUNDED' } });
    expect(payments.simulator.entry(seeded.providerReference!)).toMatchObject({ state: 'captured', refundedCents: seeded.amount.amount });
  });

  it('refuses refunds of payments that were never captured, and of unknown payments', async () => {
    const orderId = randomUUID();
    const { body } = await payments.query('mutation ($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { payment { id } } }', {
      input: { orderId, amount: 700, currency: 'EUR' },
    });
    const authorized = (body.data!.authorizePayment as { payment: { id: string } }).payment;
    expect(codes(await refund(refundOf(authorized, 100)))).toEqual([{ path: ['input', 'paymentId'], code: 'INVALID_STATE' }]);
    expect(codes(await refund(refundOf({ id: randomUUID() }, 100)))).toEqual([{ path: ['input', 'paymentId'], code: 'NOT_FOUND' }]);
  });

  it('reports every invalid field', async () => {
    const answer = await refund({ paymentId: 'nope', amount: -5, reason: '   ', idempotencyKey: 'short' });
    expect(answer).toMatchObject({ refund: null, payment: null });
    expect(codes(answer)).toEqual([
      { path: ['input', 'paymentId'], code: 'INVALID' },
      { path: ['input', 'amount'], code: 'TOO_SMALL' },
      { path: ['input', 'reason'], code: 'TOO_SHORT' },
      { path: ['input', 'idempotencyKey'], code: 'TOO_SHORT' },
    ]);
    // Postgres refuses NUL in text: a field error, not a 500; a reason is one line.
    const hostile = await refund({ paymentId: randomUUID(), amount: 1, reason: 'Broken\u0000', idempotencyKey: `${randomUUID()}\u0000` });
    expect(codes(hostile)).toEqual([
      { path: ['input', 'reason'], code: 'INVALID_CHARACTERS' },
      { path: ['input', 'idempotencyKey'], code: 'INVALID_CHARACTERS' },
    ]);
    expect(codes(await refund({ paymentId: randomUUID(), amount: 1, reason: 'Broken\nlid', idempotencyKey: randomUUID() }))).toEqual([
      { path: ['input', 'reason'], code: 'INVALID_CHARACTERS' },
    ]);
  });

  it('is for admins only', async () => {
    const input = { paymentId: randomUUID(), amount: 1, reason: 'x', idempotencyKey: randomUUID() };
    const anonymous = await payments.query(REFUND, { input });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const shopper = await payments.query(REFUND, { input }, customer);
    expect(shopper.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('Payment.refunds', () => {
  it('pages through a payment’s refunds oldest first, each exactly once', async () => {
    const payment = await capturedPayment(10_000);
    const created: string[] = [];
    for (const amount of [1_000, 2_000, 3_000]) created.push((await refund(refundOf(payment, amount))).refund!.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const refunds = await refundsOf(payment.id, 1, after);
      seen.push(...refunds.edges.map((edge) => edge.node.id));
      if (!refunds.pageInfo.hasNextPage) break;
      after = refunds.pageInfo.endCursor;
    }
    expect(seen).toEqual(created);
  });

  it('costs the same SQL statements for 1 or 50 payments', async () => {
    const { body } = await payments.query('{ payments(first: 50) { edges { node { id } } } }', {}, admin);
    const ids = (body.data!.payments as { edges: Array<{ node: { id: string } }> }).edges.map((edge) => edge.node.id);
    expect(ids).toHaveLength(50);
    const withRefunds = (n: number) =>
      payments.query(
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id refundedAmount { amount } refunds(first: 3) { edges { node { amount { amount } } } } } } }`,
        { r: ids.slice(0, n).map((id) => ({ __typename: 'Payment', id })) },
      );
    const one = await payments.countQueries(() => withRefunds(1));
    const fifty = await payments.countQueries(() => withRefunds(50));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
    const answer = await withRefunds(50);
    expect((answer.body.data!._entities as unknown[]).filter(Boolean)).toHaveLength(50);
  });
});
