import { randomUUID } from 'node:crypto';
import { placeOrder } from '../../subgraphs/orders/src/place-order.ts';
import { cancelOrder } from '../../subgraphs/orders/src/cancel-order.ts';
import { waitFor } from '@storefront/testing';
import { productId, startSagaWorld, userId, type SagaWorld } from './saga-world.ts';

/*
 * The checkout saga across orders, inventory and payments: real databases, real BullMQ on Redis, the
 * services' own workers. Each case checks the end state the customer sees (order status, checkout state) and
 * that stock and money balance afterwards.
 */

let world: SagaWorld;

/*
 * The payment deadline and the provider's timeout leave room for a loaded machine: a happy checkout must not
 * miss its deadline because the machine is busy. The deadline sweep runs every 200 ms (saga-world.ts).
 */
const PAYMENT_DEADLINE_MS = 5_000;
const WORKER_ENV = { SAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_DEADLINE_MS), PAYMENTS_PROVIDER_TIMEOUT_MS: '1000' };

beforeAll(async () => {
  world = await startSagaWorld();
  await world.startWorkers(WORKER_ENV);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };

/** Gives product `index` this price in orders' replica, so the total lands on a simulator's magic amount. */
async function priceProduct(index: number, cents: number): Promise<void> {
  await world.orders.purchasable.update({ where: { id: productId(index) }, data: { priceCents: cents, currency: 'EUR' } });
}

async function stockOf(index: number): Promise<{ onHand: number; reserved: number; available: number }> {
  const levels = await world.inventory.stockLevel.findMany({ where: { productId: productId(index) } });
  return levels.reduce((sum, level) => ({ onHand: sum.onHand + level.onHand, reserved: sum.reserved + level.reserved, available: sum.available + level.available }), {
    onHand: 0,
    reserved: 0,
    available: 0,
  });
}

async function place(user: number, items: Array<{ product: number; quantity: number }>) {
  const result = await placeOrder(
    world.orders,
    userId(user),
    { idempotencyKey: randomUUID(), items: items.map(({ product, quantity }) => ({ purchasableId: productId(product), quantity })), shippingAddress: address },
    `req-${randomUUID()}`,
  );
  expect(result.errors).toEqual([]);
  return result.order!;
}

async function settled(orderId: string, state: 'COMPLETED' | 'COMPENSATED' | 'COMPENSATING') {
  await waitFor(async () => (await world.orders.orderSaga.findUnique({ where: { orderId } }))?.state === state, `saga of ${orderId} to reach ${state}`);
  return world.orders.order.findUniqueOrThrow({ where: { id: orderId }, include: { saga: true, statusChanges: { orderBy: { changedAt: 'asc' } } } });
}

async function statusEvents(orderId: string) {
  const rows = await world.orders.outboxEvent.findMany({ where: { aggregateId: orderId, type: 'OrderStatusChanged' }, orderBy: { occurredAt: 'asc' } });
  return rows.map((row) => (row.payload as { to: string }).to);
}

it('takes an order from PENDING to PAID: stock committed, payment captured, each step once', async () => {
  await priceProduct(1, 2_500);
  const before = await stockOf(1);
  const order = await place(1, [{ product: 1, quantity: 2 }]);
  expect(order.status).toBe('PENDING');

  const done = await settled(order.id, 'COMPLETED');
  expect(done.status).toBe('PAID');
  expect(done.statusChanges.map((change) => change.toStatus)).toEqual(['RESERVED', 'PAID']);
  expect(await statusEvents(order.id)).toEqual(['RESERVED', 'PAID']);

  const after = await stockOf(1);
  expect(after.onHand).toBe(before.onHand - 2); // shipped from stock once
  expect(after.reserved).toBe(before.reserved);
  const reservation = await world.inventory.reservation.findUniqueOrThrow({ where: { orderId: order.id } });
  expect(reservation.status).toBe('COMMITTED');
  const payment = await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } });
  expect(payment).toMatchObject({ status: 'CAPTURED', amountCents: 5_000 });
  // The correlation id of the request that placed the order travels through every hop.
  const hops = await world.inventory.outboxEvent.findMany({ where: { aggregateId: order.id } });
  expect(new Set(hops.map((hop) => hop.correlationId)).size).toBe(1);
});

it('compensates a declined payment: the order is cancelled and its stock released', async () => {
  await priceProduct(2, 1_013); // the simulator declines amounts ending in 13 cents
  const before = await stockOf(2);
  const order = await place(2, [{ product: 2, quantity: 1 }]);

  const done = await settled(order.id, 'COMPENSATED');
  expect(done).toMatchObject({ status: 'CANCELLED', cancelReason: 'PAYMENT_DECLINED' });
  expect(done.saga).toMatchObject({ failureReason: 'PAYMENT_DECLINED', awaitingStockRelease: false, awaitingPaymentVoid: false });
  expect(await stockOf(2)).toEqual(before);
  const reservation = await world.inventory.reservation.findUniqueOrThrow({ where: { orderId: order.id } });
  expect(reservation.status).toBe('RELEASED');
  const payment = await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } });
  expect(payment.status).toBe('DECLINED'); // nothing authorized, so nothing to give back
});

it('compensates a stock shortage: nothing reserved, no payment asked for', async () => {
  await world.inventory.stockLevel.updateMany({ where: { productId: productId(3) }, data: { onHand: 1, reserved: 0, available: 1 } });
  const before = await stockOf(3);
  const order = await place(3, [{ product: 3, quantity: before.available + 1 }]);

  const done = await settled(order.id, 'COMPENSATED');
  expect(done).toMatchObject({ status: 'CANCELLED', cancelReason: 'OUT_OF_STOCK' });
  expect(await stockOf(3)).toEqual(before);
  expect(await world.payments.payment.findUnique({ where: { orderId: order.id } })).toBeNull();
  expect(await statusEvents(order.id)).toEqual(['CANCELLED']);
});

it('gives up on a payment provider that does not answer: cancelled with PAYMENT_TIMEOUT, stock released, the authorization voided once it answers', async () => {
  await priceProduct(4, 2_007); // the simulator answers amounts ending in 07 too late
  const before = await stockOf(4);
  const order = await place(4, [{ product: 4, quantity: 1 }]);

  // The void cannot be confirmed while the provider stays silent: the saga waits in COMPENSATING, visibly.
  const done = await settled(order.id, 'COMPENSATING');
  expect(done).toMatchObject({ status: 'CANCELLED', cancelReason: 'PAYMENT_TIMEOUT' });
  await waitFor(async () => (await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } })).awaitingStockRelease === false, 'stock release');
  expect(await stockOf(4)).toEqual(before);
  expect((await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } })).status).toBe('PENDING');

  // The provider answers again (its answers no longer hang): the void's retry settles what the provider held
  // and voids it, and only then is the checkout COMPENSATED.
  await world.stopWorkers();
  await world.startWorkers({ ...WORKER_ENV, PAYMENTS_PROVIDER_HANG_MS: '0' });
  try {
    const compensated = await settled(order.id, 'COMPENSATED');
    expect(compensated.saga).toMatchObject({ failureReason: 'PAYMENT_TIMEOUT', awaitingStockRelease: false, awaitingPaymentVoid: false });
    expect((await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } })).status).toBe('VOIDED');
    expect(await stockOf(4)).toEqual(before);
  } finally {
    await world.stopWorkers();
    await world.startWorkers(WORKER_ENV);
  }
});

it('lets the customer cancel while the payment is pending, and returns what the saga had obtained', async () => {
  await priceProduct(5, 3_007); // payment never answers, so the saga waits in AUTHORIZING_PAYMENT
  const before = await stockOf(5);
  const order = await place(5, [{ product: 5, quantity: 3 }]);
  await waitFor(async () => (await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } })).state === 'AUTHORIZING_PAYMENT', 'payment step');

  const cancelled = await cancelOrder(world.orders, (await world.orders.order.findUniqueOrThrow({ where: { id: order.id } })), 'req-cancel');
  expect(cancelled.errors).toEqual([]);
  expect(cancelled.order).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_REQUEST' });
  await waitFor(async () => (await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } })).awaitingStockRelease === false, 'stock release');
  expect(await stockOf(5)).toEqual(before);
  // The deadline sweep leaves a saga that is already compensating alone.
  await new Promise((resolve) => setTimeout(resolve, PAYMENT_DEADLINE_MS + 500));
  expect((await world.orders.order.findUniqueOrThrow({ where: { id: order.id } })).cancelReason).toBe('CUSTOMER_REQUEST');
});

it('applies a duplicated reply once: a second PaymentCaptured for a paid order is delivered, recorded and changes nothing', async () => {
  await priceProduct(6, 1_000);
  const order = await place(6, [{ product: 6, quantity: 1 }]);
  await settled(order.id, 'COMPLETED');
  const payment = await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } });
  const sagaBefore = await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } });
  const ordersEventsBefore = await world.orders.outboxEvent.count({ where: { aggregateId: order.id } });
  const { consumerQueueName, defineEvent, openQueue, writeToOutbox } = await import('@storefront/events');
  // The same fact published again under a new event id (e.g. payments replayed its outbox by hand).
  const duplicate = defineEvent({
    type: 'PaymentCaptured',
    version: 1,
    source: 'payments',
    aggregateId: order.id,
    correlationId: null,
    payload: { paymentId: payment.id, orderId: order.id, amount: { amount: 1_000, currency: 'EUR' } },
  });
  await world.payments.$transaction((tx) => writeToOutbox(tx, duplicate));

  // Delivered to the saga's consumer and applied as a no-op: its id is recorded in the transaction that ran
  // the handler, and its job completed (a duplicate that failed or dead-lettered would show here).
  await waitFor(
    async () => (await world.orders.processedEvent.count({ where: { consumer: 'orders-saga', eventId: duplicate.id } })) === 1,
    'the saga to process the duplicate',
  );
  const queue = openQueue(consumerQueueName('orders-saga'), world.queues);
  try {
    await waitFor(async () => (await queue.getJob(duplicate.id))?.finishedOn !== undefined, 'the duplicate job to finish');
    const job = (await queue.getJob(duplicate.id))!;
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toBe('applied');
  } finally {
    await queue.close();
  }
  expect(await statusEvents(order.id)).toEqual(['RESERVED', 'PAID']);
  expect(await world.orders.outboxEvent.count({ where: { aggregateId: order.id } })).toBe(ordersEventsBefore);
  expect(await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } })).toEqual(sagaBefore);
  expect((await world.orders.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe('PAID');
  expect((await world.payments.payment.findUniqueOrThrow({ where: { orderId: order.id } })).status).toBe('CAPTURED');
});

it('cancels with RESERVATION_EXPIRED when the reservation lapses while the payment is pending', async () => {
  // A payment deadline far away, so only the reservation's expiry can end this checkout.
  await world.stopWorkers();
  await world.startWorkers({ ...WORKER_ENV, SAGA_PAYMENT_TIMEOUT_MS: '600000' });
  try {
    await priceProduct(7, 4_007); // the provider never answers
    const before = await stockOf(7);
    const order = await place(7, [{ product: 7, quantity: 2 }]);
    await waitFor(async () => (await world.orders.orderSaga.findUniqueOrThrow({ where: { orderId: order.id } })).state === 'AUTHORIZING_PAYMENT', 'payment step');

    // The expiry sweep, run as if an hour had passed: it gives the units back and announces it to the saga.
    const { expireAndAnnounce } = await import('../../subgraphs/inventory/src/saga-commands.ts');
    expect(await expireAndAnnounce(world.inventory, new Date(Date.now() + 3_600_000))).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await world.orders.order.findUniqueOrThrow({ where: { id: order.id } })).status === 'CANCELLED', 'the cancellation');
    expect(await world.orders.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({ cancelReason: 'RESERVATION_EXPIRED' });
    expect(await stockOf(7)).toEqual(before);
    expect((await world.inventory.reservation.findUniqueOrThrow({ where: { orderId: order.id } })).status).toBe('EXPIRED');
  } finally {
    await world.stopWorkers();
    await world.startWorkers(WORKER_ENV);
  }
});
