/*
 * npm run bench:events — the asynchronous half, on this machine's Postgres and Redis:
 *   1. events per second through outbox → relay → BullMQ → idempotent consumer (10,000 events, two relays,
 *      four consumer workers);
 *   2. a lone shopper's checkout (placeOrder → PAID) at p50/p99: one worker instance per service with the
 *      relays' production settings, checkouts one at a time with the store idle in between, which is where
 *      a relay that only polls is slowest (it has backed off to its longest delay on every hop);
 *   3. the checkout saga end to end under a stream of orders, at p50/p99 with two worker instances per service.
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
const LONE_CHECKOUTS = Number(process.env.BENCH_LONE_CHECKOUTS ?? 8);
/** Idle time before each lone checkout: longer than a relay's longest poll delay (5 s), so every hop starts idle. */
const LONE_PAUSE_MS = Number(process.env.BENCH_LONE_PAUSE_MS ?? 6_000);
const address = { name: 'Bench', line1: '1 Loop', city: 'Berlin', postalCode: '10115', country: 'DE' };

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

  await world.orders.purchasable.updateMany({ data: { priceCents: 1_000, currency: 'EUR' } });
  await world.inventory.stockLevel.updateMany({ data: { onHand: 1_000_000, reserved: 0, available: 1_000_000 } });

  // 2. Lone checkouts: one instance per service, as a quiet store runs; each checkout alone, after idle time.
  //    BENCH_COMPARE_POLLING=1 first runs the same with relays that only poll (how it was before LISTEN/NOTIFY).
  async function loneCheckouts(label: string, options: { pollOnly?: boolean }): Promise<void> {
    await world.startWorkers({ SAGA_PAYMENT_TIMEOUT_MS: '60000' }, { productionRelays: true, ...options });
    const lone: number[] = [];
    for (let i = 0; i < LONE_CHECKOUTS; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, LONE_PAUSE_MS));
      const started = performance.now();
      const result = await placeOrder(
        world.orders,
        userId(i % SAGA_PLAN.users),
        { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(i % SAGA_PLAN.products), quantity: 1 }], shippingAddress: address },
        `bench-lone-${i}`,
      );
      const orderId = result.order?.id;
      if (!orderId) throw new Error(`lone checkout ${i} was refused: ${JSON.stringify(result.errors)}`);
      // Polled every 10 ms: the client's view (placeOrder called → order PAID), to within 10 ms.
      for (;;) {
        const order = await world.orders.order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true } });
        if (order.status === 'PAID') break;
        if (order.status === 'CANCELLED') throw new Error(`lone checkout ${i} was cancelled`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      lone.push(performance.now() - started);
    }
    await world.stopWorkers();
    const sorted = [...lone].sort((a, b) => a - b);
    console.log(
      `lone checkout (${label}): ${lone.length} checkouts one at a time, ${LONE_PAUSE_MS / 1000} s idle before each; placeOrder → PAID ` +
        `p50 ${Math.round(percentile(sorted, 50))} ms, p99 ${Math.round(percentile(sorted, 99))} ms (each: ${lone.map((ms) => Math.round(ms)).join(', ')} ms; 1 worker per service)`,
    );
  }
  if (process.env.BENCH_COMPARE_POLLING === '1') await loneCheckouts('relays polling only', { pollOnly: true });
  await loneCheckouts('relays woken by LISTEN/NOTIFY', {});

  // 3. The checkout saga with two worker instances of each service (as two replicas would run), under a stream
  //    of orders; BENCH_COMPARE_POLLING=1 runs it with polling-only relays first.
  async function streamOfCheckouts(label: string, options: { pollOnly?: boolean }): Promise<void> {
    await world.startWorkers({ SAGA_PAYMENT_TIMEOUT_MS: '60000' }, { productionRelays: true, ...options });
    await world.startWorkers({ SAGA_PAYMENT_TIMEOUT_MS: '60000' }, { productionRelays: true, ...options });
    const sagaStarted = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const result = await placeOrder(
        world.orders,
        userId(i % SAGA_PLAN.users),
        { idempotencyKey: randomUUID(), items: [{ purchasableId: productId(i % SAGA_PLAN.products), quantity: 1 }], shippingAddress: address },
        `bench-${label}-${i}`,
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
    await world.stopWorkers();
    const sagas = await world.orders.orderSaga.findMany({ where: { orderId: { in: ids } } });
    const latencies = sagas.flatMap((saga) => (saga.finishedAt ? [saga.finishedAt.getTime() - saga.startedAt.getTime()] : [])).sort((a, b) => a - b);
    const paid = sagas.filter((saga) => saga.state === 'COMPLETED').length;
    console.log(
      `checkout saga (${label}): ${ids.length} orders (${paid} PAID) in ${wall.toFixed(1)} s; placeOrder → PAID p50 ${percentile(latencies, 50)} ms, ` +
        `p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (2 workers per service)`,
    );
  }
  if (process.env.BENCH_COMPARE_POLLING === '1') await streamOfCheckouts('relays polling only', { pollOnly: true });
  await streamOfCheckouts('relays woken by LISTEN/NOTIFY', {});
} finally {
  await world.close();
}
