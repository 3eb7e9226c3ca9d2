import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPgPool } from '@storefront/prisma-tools';
import { startTestSubgraph } from '@storefront/testing';
import { start } from './index.ts';
import type { PaymentProvider } from './provider.ts';
import { SimulatedPaymentProvider } from './simulated-provider.ts';
import { PAYMENT_FIELDS, startPayments, TEST_SETTINGS, type InputErrorJson, type PaymentJson, type PaymentsUnderTest } from './test-harness.ts';

let payments: PaymentsUnderTest;
beforeAll(async () => {
  payments = await startPayments();
});
afterAll(() => payments?.close());
afterEach(() => payments.resetSimulator());

type PaymentPayload = { payment: PaymentJson | null; errors: InputErrorJson[] };

async function authorize(input: Record<string, unknown>): Promise<PaymentPayload> {
  const { body } = await payments.query(
    `mutation ($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { payment { ${PAYMENT_FIELDS} } errors { path code message } } }`,
    { input },
  );
  expect(body.errors).toBeUndefined();
  return body.data!.authorizePayment as PaymentPayload;
}

async function settle(step: 'capturePayment' | 'voidPayment', orderId: string): Promise<PaymentPayload> {
  const { body } = await payments.query(
    `mutation ($orderId: ID!) { ${step}(orderId: $orderId) { payment { ${PAYMENT_FIELDS} } errors { path code message } } }`,
    { orderId },
  );
  expect(body.errors).toBeUndefined();
  return body.data![step] as PaymentPayload;
}

const codes = (payload: { errors: InputErrorJson[] }) => payload.errors.map((error) => ({ path: error.path, code: error.code }));

describe('authorize → capture', () => {
  it('authorizes an order once, however often it is asked', async () => {
    const orderId = randomUUID();
    const first = await authorize({ orderId, amount: 4_250, currency: 'EUR' });
    expect(first).toEqual({
      errors: [],
      payment: {
        id: expect.any(String),
        status: 'AUTHORIZED',
        amount: { amount: 4_250, currency: 'EUR' },
        refundedAmount: { amount: 0, currency: 'EUR' },
        declineReason: null,
        providerReference: expect.stringMatching(/^pi_sim_/),
        order: { id: orderId },
      },
    });
    const requests = payments.simulator.requestCount;
    const again = await authorize({ orderId, amount: 4_250, currency: 'EUR' });
    expect(again).toEqual(first);
    expect(payments.simulator.requestCount).toBe(requests);
    expect(payments.simulator.authorizationsFor(orderId)).toEqual([expect.objectContaining({ state: 'authorized', authorizedCents: 4_250 })]);
  });

  it('creates one payment and one authorization for concurrent first requests', async () => {
    const orderId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => authorize({ orderId, amount: 990, currency: 'EUR' })));
    expect(new Set(answers.map((answer) => answer.payment?.id)).size).toBe(1);
    expect(answers.every((answer) => answer.payment?.status === 'AUTHORIZED' && answer.errors.length === 0)).toBe(true);
    expect(payments.simulator.authorizationsFor(orderId)).toHaveLength(1);
  });

  it('captures the authorized amount, and a repeated capture changes nothing', async () => {
    const orderId = randomUUID();
    const { payment } = await authorize({ orderId, amount: 15_000, currency: 'EUR' });
    const captured = await settle('capturePayment', orderId);
    expect(captured).toEqual({ errors: [], payment: { ...payment, status: 'CAPTURED' } });
    const requests = payments.simulator.requestCount;
    expect(await settle('capturePayment', orderId)).toEqual(captured);
    expect(payments.simulator.requestCount).toBe(requests);
    expect(payments.simulator.entry(payment!.providerReference!)).toMatchObject({ state: 'captured', capturedCents: 15_000 });
    expect(await payments.providerCalls(payment!.id)).toEqual([
      { operation: 'AUTHORIZE', outcome: 'SUCCEEDED', error: null },
      { operation: 'CAPTURE', outcome: 'SUCCEEDED', error: null },
    ]);
  });

  it('voids an authorization, safely repeated, and refuses to capture it afterwards', async () => {
    const orderId = randomUUID();
    const { payment } = await authorize({ orderId, amount: 2_000, currency: 'EUR' });
    expect(await settle('voidPayment', orderId)).toEqual({ errors: [], payment: { ...payment, status: 'VOIDED' } });
    expect(await settle('voidPayment', orderId)).toMatchObject({ errors: [], payment: { status: 'VOIDED' } });
    const capture = await settle('capturePayment', orderId);
    expect(codes(capture)).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(capture.payment?.status).toBe('VOIDED');
    expect(payments.simulator.entry(payment!.providerReference!)?.state).toBe('voided');
  });

  it('refuses to void a captured payment', async () => {
    const orderId = randomUUID();
    await authorize({ orderId, amount: 2_000, currency: 'EUR' });
    await settle('capturePayment', orderId);
    const voided = await settle('voidPayment', orderId);
    expect(codes(voided)).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(voided.payment?.status).toBe('CAPTURED');
  });
});

describe('declines', () => {
  it('records a declined card (amount ending in 13) with the reason, and refuses to capture it', async () => {
    const orderId = randomUUID();
    const declined = await authorize({ orderId, amount: 3_013, currency: 'EUR' });
    expect(declined).toMatchObject({ errors: [], payment: { status: 'DECLINED', declineReason: 'card_declined', providerReference: expect.stringMatching(/^pi_sim_/) } });
    expect(await authorize({ orderId, amount: 3_013, currency: 'EUR' })).toEqual(declined);
    expect(codes(await settle('capturePayment', orderId))).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(codes(await settle('voidPayment', orderId))).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(await payments.providerCalls(declined.payment!.id)).toEqual([{ operation: 'AUTHORIZE', outcome: 'DECLINED', error: 'card_declined' }]);
  });

  it('declines amounts above the limit with insufficient_funds', async () => {
    payments.simulator.configure({ amountLimitCents: 10_000 });
    expect(await authorize({ orderId: randomUUID(), amount: 10_001, currency: 'EUR' })).toMatchObject({
      payment: { status: 'DECLINED', declineReason: 'insufficient_funds' },
    });
  });

  it('declines the configured share of orders', async () => {
    payments.simulator.configure({ declineRate: 1 });
    expect(await authorize({ orderId: randomUUID(), amount: 500, currency: 'EUR' })).toMatchObject({ payment: { status: 'DECLINED', declineReason: 'card_declined' } });
  });
});

describe('provider timeouts', () => {
  it('keeps the payment PENDING on a timeout; the retry asks again with the same key and authorizes only once', async () => {
    const orderId = randomUUID();
    payments.simulator.configure({ timeoutRate: 1 });
    const first = await authorize({ orderId, amount: 7_700, currency: 'EUR' });
    expect(first.payment).toMatchObject({ status: 'PENDING', providerReference: null });
    expect(codes(first)).toEqual([{ path: ['input'], code: 'INVALID_STATE' }]);
    expect(first.errors[0]?.message).toMatch(/did not answer/);
    // The provider authorized before its answer got lost.
    expect(payments.simulator.authorizationsFor(orderId)).toHaveLength(1);

    const stillLate = await authorize({ orderId, amount: 7_700, currency: 'EUR' });
    expect(stillLate.payment).toMatchObject({ id: first.payment!.id, status: 'PENDING' });

    payments.simulator.configure({ timeoutRate: 0 });
    const retried = await authorize({ orderId, amount: 7_700, currency: 'EUR' });
    const [authorization] = payments.simulator.authorizationsFor(orderId);
    expect(retried).toMatchObject({ errors: [], payment: { id: first.payment!.id, status: 'AUTHORIZED', providerReference: authorization?.reference } });
    expect(payments.simulator.authorizationsFor(orderId)).toHaveLength(1);
    expect(await payments.providerCalls(first.payment!.id)).toEqual([
      { operation: 'AUTHORIZE', outcome: 'TIMEOUT', error: `No answer within ${TEST_SETTINGS.providerTimeoutMs} ms` },
      { operation: 'AUTHORIZE', outcome: 'TIMEOUT', error: `No answer within ${TEST_SETTINGS.providerTimeoutMs} ms` },
      { operation: 'AUTHORIZE', outcome: 'SUCCEEDED', error: null },
    ]);
  });

  it('voids a PENDING payment by first learning what the provider did (amount ending in 07 always times out)', async () => {
    const orderId = randomUUID();
    const pending = await authorize({ orderId, amount: 1_207, currency: 'EUR' });
    expect(pending.payment?.status).toBe('PENDING');
    const stillUnknown = await settle('voidPayment', orderId);
    expect(codes(stillUnknown)).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(stillUnknown.payment?.status).toBe('PENDING');

    // Only a change of settings lets the late answer through: it was an approval, which is then released.
    payments.simulator.configure({ magicAmounts: false });
    const voided = await settle('voidPayment', orderId);
    expect(voided).toMatchObject({ errors: [], payment: { status: 'VOIDED', providerReference: expect.stringMatching(/^pi_sim_/) } });
    expect(payments.simulator.authorizationsFor(orderId)).toEqual([expect.objectContaining({ state: 'voided' })]);
  });

  it('refuses to capture a PENDING payment', async () => {
    const orderId = randomUUID();
    payments.simulator.configure({ timeoutRate: 1 });
    await authorize({ orderId, amount: 800, currency: 'EUR' });
    const capture = await settle('capturePayment', orderId);
    expect(codes(capture)).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(capture.payment?.status).toBe('PENDING');
  });

  it('leaves a capture that timed out AUTHORIZED, and the retry captures once', async () => {
    const orderId = randomUUID();
    const { payment } = await authorize({ orderId, amount: 6_000, currency: 'EUR' });
    payments.simulator.configure({ latencyMs: 2_500 });
    const late = await settle('capturePayment', orderId);
    expect(codes(late)).toEqual([{ path: ['orderId'], code: 'INVALID_STATE' }]);
    expect(late.payment?.status).toBe('AUTHORIZED');
    payments.simulator.configure({ latencyMs: 0 });
    expect(await settle('capturePayment', orderId)).toMatchObject({ errors: [], payment: { status: 'CAPTURED' } });
    expect(payments.simulator.entry(payment!.providerReference!)).toMatchObject({ state: 'captured', capturedCents: 6_000 });
  });
});

describe('validation', () => {
  it('reports every invalid field of authorizePayment', async () => {
    const payload = await authorize({ orderId: 'not-a-uuid', amount: 0, currency: 'eur' });
    expect(payload.payment).toBeNull();
    expect(codes(payload)).toEqual([
      { path: ['input', 'orderId'], code: 'INVALID' },
      { path: ['input', 'amount'], code: 'TOO_SMALL' },
      { path: ['input', 'currency'], code: 'INVALID' },
    ]);
  });

  it('refuses a second payment of another amount for the same order', async () => {
    const orderId = randomUUID();
    await authorize({ orderId, amount: 1_000, currency: 'EUR' });
    const other = await authorize({ orderId, amount: 1_001, currency: 'EUR' });
    expect(other.payment).toBeNull();
    expect(codes(other)).toEqual([{ path: ['input', 'orderId'], code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect(payments.simulator.authorizationsFor(orderId)).toHaveLength(1);
  });

  it('answers NOT_FOUND for an order without payment and INVALID for a malformed id', async () => {
    expect(codes(await settle('capturePayment', randomUUID()))).toEqual([{ path: ['orderId'], code: 'NOT_FOUND' }]);
    expect(codes(await settle('voidPayment', 'nope'))).toEqual([{ path: ['orderId'], code: 'INVALID' }]);
  });
});

describe('an injected provider whose connection breaks', () => {
  it('treats a failed request like a timeout: PENDING, recorded as ERROR, and the retry authorizes once', async () => {
    const simulator = new SimulatedPaymentProvider();
    let failures = 1;
    const flaky: PaymentProvider = {
      authorize: async (request, options) => {
        if (failures-- > 0) throw new Error('connection reset by peer');
        return simulator.authorize(request, options);
      },
      capture: (request, options) => simulator.capture(request, options),
      void: (request, options) => simulator.void(request, options),
      refund: (request, options) => simulator.refund(request, options),
    };
    const unseeded = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), (config, logger) =>
      start(config, logger, { settings: TEST_SETTINGS, provider: flaky }),
    );
    try {
      const orderId = randomUUID();
      const ask = async () =>
        (
          await unseeded.query(
            `mutation ($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { payment { id status } errors { path code message } } }`,
            { input: { orderId, amount: 1_500, currency: 'EUR' } },
          )
        ).body.data!.authorizePayment as PaymentPayload;
      const broken = await ask();
      expect(broken.payment?.status).toBe('PENDING');
      expect(broken.errors).toEqual([{ path: ['input'], code: 'INVALID_STATE', message: expect.stringContaining('connection reset by peer') }]);
      expect(await ask()).toEqual({ errors: [], payment: { id: broken.payment!.id, status: 'AUTHORIZED' } });
      expect(simulator.authorizationsFor(orderId)).toHaveLength(1);
      const pool = createPgPool({ connectionString: unseeded.database.url, max: 1 });
      const { rows } = await pool.query('SELECT outcome, error FROM provider_calls WHERE payment_id = $1 ORDER BY created_at', [broken.payment!.id]);
      await pool.end();
      expect(rows).toEqual([
        { outcome: 'ERROR', error: 'connection reset by peer' },
        { outcome: 'SUCCEEDED', error: null },
      ]);
    } finally {
      await unseeded.close();
    }
  });
});
