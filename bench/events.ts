/*
 * npm run bench:events — the asynchronous half under load, on this machine's Postgres and Redis:
 *   1. events per second through outbox → relay → BullMQ → idempotent consumer (10,000 events, two relays,
 *      four consumer workers);
 *   2. the checkout saga end to end (placeOrder → PAID) at p50/p99 with two worker instances per service.
 * Uses fresh databases and a fresh queue prefix; prints figures, asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  createEventConsumer,
  defineEvent,
  type EventConsumer,
  OutboxRelay,
  writeToOutbox,
} from '@storefront/events';
import { placeOrder } from '../subgraphs/orders/src/place-order.ts';
import { productId, SAGA_PLAN, startSagaWorld, userId } from '../tests/saga/saga-world.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 300);

const world = await startSagaWorld();
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

try {
  // 1. Throughput of the plumbing itself: a consumer whose effect is its processed_events row.
  const now = new Date().toISOString();
  const events = Array.from({ length: EVENTS }, () => {
    const id = randomUUID();
    return defineEvent({
      type: 'ProductPriceChanged',
      version: 1,
      source: 'bench',
      aggregateId: id,
      correlationId: null,
      occurredAt: now,
      payload: { productId: id, previousPrice: { amount: 100, currency: 'EUR' }, price: { amount: 120, currency: 'EUR' } },
    });
  });
  for (let i = 0; i < events.length; i += 500) {
    await world.orders.$transaction(async (tx) => {
      for (const event of events.slice(i, i + 500)) await writeToOutbox(tx, event);
    });
  }
  const subscriptions = { bench: ['ProductPriceChanged'] } as const;
  const started = performance.now();
  const relays = [0, 1].map(() => new OutboxRelay({ db: world.orders, subscriptions, queues: world.queues, batchSize: 200, idleDelayMs: { min: 10, max: 100 } }));
  const consumers: EventConsumer[] = [0, 1, 2, 3].map(() =>
    createEventConsumer({ consumer: 'bench', db: world.orders, queues: world.queues, concurrency: 8, handlers: { ProductPriceChanged: async () => {} } }),
  );
  relays.forEach((relay) => relay.start());
  for (;;) {
    const done = await world.orders.processedEvent.count({ where: { consumer: 'bench' } });
    if (done >= EVENTS) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([...relays.map((relay) => relay.stop()), ...consumers.map((consumer) => consumer.close())]);
  console.log(`outbox → relay → queue → consumer: ${EVENTS} events in ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds)} events/s (2 relays, 4 workers × 8)`);

  // 2. The checkout saga with two worker instances of each service (as two replicas would run).
  await world.startWorkers({ SAGA_PAYMENT_TIMEOUT_MS: '60000' });
  await world.startWorkers({ SAGA_PAYMENT_TIMEOUT_MS: '60000' });
  await world.orders.purchasable.updateMany({ data: { priceCents: 1_000, currency: 'EUR' } });
  await world.inventory.stockLevel.updateMany({ data: { onHand: 1_000_000, reserved: 0, available: 1_000_000 } });
  const sagaStarted = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < ORDERS; i += 1) {
    const result = await placeOrder(
      world.orders,
      userId(i % SAGA_PLAN.users),
      {
        idempotencyKey: randomUUID(),
        items: [{ purchasableId: productId(i % SAGA_PLAN.products), quantity: 1 }],
        shippingAddress: { name: 'Bench', line1: '1 Loop', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
      `bench-${i}`,
    );
    if (result.order) ids.push(result.order.id);
    // Arrivals spread over time, like customers, rather than one burst.
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (;;) {
    const finished = await world.orders.orderSaga.count({ where: { orderId: { in: ids }, finishedAt: { not: null } } });
    if (finished >= ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const wall = (performance.now() - sagaStarted) / 1000;
  const sagas = await world.orders.orderSaga.findMany({ where: { orderId: { in: ids } } });
  const latencies = sagas.flatMap((saga) => (saga.finishedAt ? [saga.finishedAt.getTime() - saga.startedAt.getTime()] : [])).sort((a, b) => a - b);
  const paid = sagas.filter((saga) => saga.state === 'COMPLETED').length;
  console.log(
    `checkout saga: ${ids.length} orders (${paid} PAID) in ${wall.toFixed(1)} s; placeOrder → PAID p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (2 workers per service)`,
  );
} finally {
  await world.close();
}
