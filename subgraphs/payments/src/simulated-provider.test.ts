import { randomUUID } from 'node:crypto';
import { hashFraction, SimulatedPaymentProvider, type LedgerEntry } from './simulated-provider.ts';

const order = () => randomUUID();
const key = () => `key-${randomUUID()}`;

/** Authorizes and captures `amountCents`, returning the reference. */
async function captured(provider: SimulatedPaymentProvider, amountCents: number): Promise<string> {
  const authorized = await provider.authorize({ orderId: order(), amountCents, currency: 'EUR' }, { idempotencyKey: key() });
  if (authorized.outcome !== 'approved') throw new Error(`not approved: ${JSON.stringify(authorized)}`);
  const capture = await provider.capture({ reference: authorized.reference, amountCents }, { idempotencyKey: key() });
  expect(capture).toEqual({ outcome: 'succeeded', reference: authorized.reference });
  return authorized.reference;
}

describe('authorization outcomes', () => {
  it('approves an ordinary amount and records it in its ledger', async () => {
    const provider = new SimulatedPaymentProvider();
    const orderId = order();
    const result = await provider.authorize({ orderId, amountCents: 12_345, currency: 'EUR' }, { idempotencyKey: 'first-key-1' });
    expect(result).toEqual({ outcome: 'approved', reference: expect.stringMatching(/^pi_sim_[0-9a-f]{24}$/) });
    const reference = result.outcome === 'approved' ? result.reference : '';
    expect(provider.entry(reference)).toEqual<LedgerEntry>({
      reference,
      orderId,
      currency: 'EUR',
      state: 'authorized',
      authorizedCents: 12_345,
      capturedCents: 0,
      refundedCents: 0,
    });
  });

  it('declines amounts ending in 13 cents (card_declined) and those above the limit (insufficient_funds)', async () => {
    const provider = new SimulatedPaymentProvider({ amountLimitCents: 100_000 });
    const ask = (amountCents: number) => provider.authorize({ orderId: order(), amountCents, currency: 'EUR' }, { idempotencyKey: key() });
    expect(await ask(1_013)).toEqual({ outcome: 'declined', reason: 'card_declined', reference: expect.stringMatching(/^pi_sim_/) });
    expect(await ask(100_001)).toMatchObject({ outcome: 'declined', reason: 'insufficient_funds' });
    expect(await ask(100_000)).toMatchObject({ outcome: 'approved' });
    provider.configure({ amountLimitCents: 99_999 });
    expect(await ask(100_000)).toMatchObject({ outcome: 'declined', reason: 'insufficient_funds' });
  });

  it('magic amounts can be switched off', async () => {
    const provider = new SimulatedPaymentProvider({ magicAmounts: false });
    expect(await provider.authorize({ orderId: order(), amountCents: 1_013, currency: 'EUR' }, { idempotencyKey: key() })).toMatchObject({
      outcome: 'approved',
    });
  });

  it('declines the configured fraction of orders, chosen by the order id so every run agrees', async () => {
    const orders = Array.from({ length: 400 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const declinedBy = async (provider: SimulatedPaymentProvider) => {
      const declined: string[] = [];
      for (const orderId of orders) {
        const result = await provider.authorize({ orderId, amountCents: 5_000, currency: 'EUR' }, { idempotencyKey: key() });
        if (result.outcome === 'declined') declined.push(orderId);
      }
      return declined;
    };
    const first = await declinedBy(new SimulatedPaymentProvider({ declineRate: 0.25 }));
    const second = await declinedBy(new SimulatedPaymentProvider({ declineRate: 0.25 }));
    expect(second).toEqual(first);
    expect(first).toEqual(orders.filter((orderId) => hashFraction(`decline:${orderId}`) < 0.25));
    expect(first.length).toBeGreaterThan(70);
    expect(first.length).toBeLessThan(130);
    expect(await declinedBy(new SimulatedPaymentProvider({ declineRate: 0 }))).toEqual([]);
    expect(await declinedBy(new SimulatedPaymentProvider({ declineRate: 1 }))).toEqual(orders);
  });

  it('refuses malformed requests without touching its ledger', async () => {
    const provider = new SimulatedPaymentProvider();
    const orderId = order();
    expect(await provider.authorize({ orderId, amountCents: 0, currency: 'EUR' }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'invalid_request',
    });
    expect(await provider.authorize({ orderId, amountCents: 100, currency: 'eur' }, { idempotencyKey: key() })).toMatchObject({ outcome: 'refused' });
    expect(provider.authorizationsFor(orderId)).toEqual([]);
  });
});

describe('latency and timeouts', () => {
  it('answers after the configured latency', async () => {
    const provider = new SimulatedPaymentProvider({ latencyMs: 60 });
    const started = Date.now();
    await provider.authorize({ orderId: order(), amountCents: 100, currency: 'EUR' }, { idempotencyKey: key() });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('holds back the answer to an amount ending in 07 until the caller gives up, having authorized nonetheless', async () => {
    const provider = new SimulatedPaymentProvider({ hangMs: 10_000 });
    const orderId = order();
    const started = Date.now();
    const request = provider.authorize({ orderId, amountCents: 2_507, currency: 'EUR' }, { idempotencyKey: 'late-key-1', signal: AbortSignal.timeout(50) });
    await expect(request).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(1_000);
    // The processor acted; only its answer was lost.
    expect(provider.authorizationsFor(orderId)).toEqual([expect.objectContaining({ state: 'authorized', authorizedCents: 2_507 })]);
  });

  it('answers a late request eventually when nobody gives up', async () => {
    const provider = new SimulatedPaymentProvider({ hangMs: 40 });
    expect(await provider.authorize({ orderId: order(), amountCents: 107, currency: 'EUR' }, { idempotencyKey: key() })).toMatchObject({
      outcome: 'approved',
    });
  });

  it('times out the same orders on every retry until the settings change; the retry then replays the first answer', async () => {
    const provider = new SimulatedPaymentProvider({ timeoutRate: 1, hangMs: 10_000 });
    const orderId = order();
    const ask = () => provider.authorize({ orderId, amountCents: 4_200, currency: 'EUR' }, { idempotencyKey: 'retry-key-1', signal: AbortSignal.timeout(30) });
    await expect(ask()).rejects.toBeDefined();
    await expect(ask()).rejects.toBeDefined();
    provider.configure({ timeoutRate: 0 });
    const answer = await ask();
    const [entry] = provider.authorizationsFor(orderId);
    expect(answer).toEqual({ outcome: 'approved', reference: entry?.reference });
    expect(provider.authorizationsFor(orderId)).toHaveLength(1);
    expect(provider.requestCount).toBe(3);
  });

  it('picks the timed-out fraction of orders by hashing the order id', async () => {
    const provider = new SimulatedPaymentProvider({ timeoutRate: 0.5, hangMs: 10_000 });
    const orders = Array.from({ length: 40 }, () => order());
    const late = await Promise.all(
      orders.map((orderId) =>
        provider.authorize({ orderId, amountCents: 100, currency: 'EUR' }, { idempotencyKey: key(), signal: AbortSignal.timeout(40) }).then(
          () => false,
          () => true,
        ),
      ),
    );
    expect(late).toEqual(orders.map((orderId) => hashFraction(`timeout:${orderId}`) < 0.5));
  });
});

describe('idempotency keys', () => {
  it('replays the first answer for the same key and request, without acting again', async () => {
    const provider = new SimulatedPaymentProvider();
    const orderId = order();
    const request = { orderId, amountCents: 900, currency: 'EUR' };
    const first = await provider.authorize(request, { idempotencyKey: 'same-key-1' });
    const again = await provider.authorize(request, { idempotencyKey: 'same-key-1' });
    expect(again).toEqual(first);
    expect(provider.authorizationsFor(orderId)).toHaveLength(1);
  });

  it('replays concurrent requests with one key as one', async () => {
    const provider = new SimulatedPaymentProvider({ latencyMs: 20 });
    const orderId = order();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => provider.authorize({ orderId, amountCents: 900, currency: 'EUR' }, { idempotencyKey: 'same-key-2' })),
    );
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(provider.authorizationsFor(orderId)).toHaveLength(1);
  });

  it('refuses a key reused for another request', async () => {
    const provider = new SimulatedPaymentProvider();
    const orderId = order();
    await provider.authorize({ orderId, amountCents: 900, currency: 'EUR' }, { idempotencyKey: 'same-key-3' });
    expect(await provider.authorize({ orderId, amountCents: 901, currency: 'EUR' }, { idempotencyKey: 'same-key-3' })).toEqual({
      outcome: 'refused',
      reason: 'idempotency_key_reused',
    });
  });

  it('authorizes twice when the caller uses two keys for one order (which the subgraph must never do)', async () => {
    const provider = new SimulatedPaymentProvider();
    const orderId = order();
    await provider.authorize({ orderId, amountCents: 900, currency: 'EUR' }, { idempotencyKey: key() });
    await provider.authorize({ orderId, amountCents: 900, currency: 'EUR' }, { idempotencyKey: key() });
    expect(provider.authorizationsFor(orderId)).toHaveLength(2);
  });

  it('refunds once for a replayed refund key', async () => {
    const provider = new SimulatedPaymentProvider();
    const reference = await captured(provider, 10_000);
    const first = await provider.refund({ reference, amountCents: 3_000 }, { idempotencyKey: 'refund-key-1' });
    const again = await provider.refund({ reference, amountCents: 3_000 }, { idempotencyKey: 'refund-key-1' });
    expect(first).toEqual({ outcome: 'succeeded', reference: expect.stringMatching(/^re_sim_[0-9a-f]{24}$/) });
    expect(again).toEqual(first);
    expect(provider.entry(reference)?.refundedCents).toBe(3_000);
  });
});

describe('ledger rules', () => {
  it('captures an authorization once, up to the authorized amount', async () => {
    const provider = new SimulatedPaymentProvider();
    const result = await provider.authorize({ orderId: order(), amountCents: 5_000, currency: 'EUR' }, { idempotencyKey: key() });
    const reference = result.outcome === 'approved' ? result.reference : '';
    expect(await provider.capture({ reference, amountCents: 5_001 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'amount_exceeds_authorized',
    });
    expect(await provider.capture({ reference, amountCents: 5_000 }, { idempotencyKey: key() })).toEqual({ outcome: 'succeeded', reference });
    expect(await provider.capture({ reference, amountCents: 5_000 }, { idempotencyKey: key() })).toEqual({ outcome: 'refused', reason: 'already_captured' });
    expect(await provider.void({ reference }, { idempotencyKey: key() })).toEqual({ outcome: 'refused', reason: 'already_captured' });
    expect(provider.entry(reference)).toMatchObject({ state: 'captured', capturedCents: 5_000 });
  });

  it('refuses to capture a voided or declined authorization', async () => {
    const provider = new SimulatedPaymentProvider();
    const approved = await provider.authorize({ orderId: order(), amountCents: 5_000, currency: 'EUR' }, { idempotencyKey: key() });
    const reference = approved.outcome === 'approved' ? approved.reference : '';
    expect(await provider.void({ reference }, { idempotencyKey: key() })).toEqual({ outcome: 'succeeded', reference });
    expect(await provider.capture({ reference, amountCents: 5_000 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'authorization_voided',
    });
    expect(await provider.void({ reference }, { idempotencyKey: key() })).toEqual({ outcome: 'refused', reason: 'authorization_voided' });

    const declined = await provider.authorize({ orderId: order(), amountCents: 5_013, currency: 'EUR' }, { idempotencyKey: key() });
    const declinedReference = declined.outcome === 'declined' ? declined.reference : '';
    expect(await provider.capture({ reference: declinedReference, amountCents: 5_013 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'authorization_declined',
    });
  });

  it('refunds only what was captured and not yet refunded', async () => {
    const provider = new SimulatedPaymentProvider();
    const authorized = await provider.authorize({ orderId: order(), amountCents: 10_000, currency: 'EUR' }, { idempotencyKey: key() });
    const uncaptured = authorized.outcome === 'approved' ? authorized.reference : '';
    expect(await provider.refund({ reference: uncaptured, amountCents: 100 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'not_captured',
    });

    const reference = await captured(provider, 10_000);
    expect(await provider.refund({ reference, amountCents: 6_000 }, { idempotencyKey: key() })).toMatchObject({ outcome: 'succeeded' });
    expect(await provider.refund({ reference, amountCents: 4_001 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'amount_exceeds_refundable',
    });
    expect(await provider.refund({ reference, amountCents: 4_000 }, { idempotencyKey: key() })).toMatchObject({ outcome: 'succeeded' });
    expect(provider.entry(reference)).toMatchObject({ capturedCents: 10_000, refundedCents: 10_000 });
  });

  it('never refunds more than was captured, however many refunds arrive at once', async () => {
    const provider = new SimulatedPaymentProvider({ latencyMs: 10 });
    const reference = await captured(provider, 10_000);
    const answers = await Promise.all(Array.from({ length: 5 }, () => provider.refund({ reference, amountCents: 4_000 }, { idempotencyKey: key() })));
    expect(answers.filter((answer) => answer.outcome === 'succeeded')).toHaveLength(2);
    expect(provider.entry(reference)?.refundedCents).toBe(8_000);
  });

  it('refuses operations on references it never issued', async () => {
    const provider = new SimulatedPaymentProvider();
    expect(await provider.capture({ reference: 'pi_sim_nope', amountCents: 1 }, { idempotencyKey: key() })).toEqual({
      outcome: 'refused',
      reason: 'unknown_reference',
    });
  });

  it('recalls an authorization it does not remember once, even for concurrent requests', async () => {
    let recalls = 0;
    const provider = new SimulatedPaymentProvider(
      { latencyMs: 5 },
      {
        recall: async (reference) => {
          recalls += 1;
          await new Promise((resolve) => setTimeout(resolve, 10));
          return { reference, orderId: order(), currency: 'EUR', state: 'captured', authorizedCents: 10_000, capturedCents: 10_000, refundedCents: 2_000 };
        },
      },
    );
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => provider.refund({ reference: 'pi_sim_seeded', amountCents: 3_000 }, { idempotencyKey: key() })),
    );
    expect(recalls).toBe(1);
    expect(answers.filter((answer) => answer.outcome === 'succeeded')).toHaveLength(2);
    expect(provider.entry('pi_sim_seeded')?.refundedCents).toBe(8_000);
  });
});
