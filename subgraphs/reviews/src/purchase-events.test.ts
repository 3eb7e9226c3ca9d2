import { randomUUID } from 'node:crypto';
import { type Viewer } from '@storefront/identity';
import { waitFor } from '@storefront/testing';
import { consumerQueueName, defineEvent, EventPublisher, startServiceWorkers, STORE_SUBSCRIPTIONS, type DomainEvent, type RunningServiceWorkers } from '@storefront/events';
import { deleteQueueKeys, testQueueConnection } from '@storefront/events/testing';
import { openDatabase, type ServiceDatabase } from '@storefront/prisma-tools';
import { silentLogger, type TestSubgraph } from '@storefront/testing';
import { Queue } from 'bullmq';
import { PrismaClient } from './database.ts';
import { REVIEWS_CONSUMER } from './purchase-events.ts';
import { customerWithId, productId, startReviews, withSql } from './test-fixtures.ts';
import { createWorkers } from './workers.ts';

/*
 * The reviews consumer on real Postgres and Redis: orders turning PAID become verified purchases (once, however
 * often delivered), new users become authors, and together they let a new buyer review what they bought.
 */

const queues = testQueueConnection('reviews-purchases');
let reviews: TestSubgraph;
let database: ServiceDatabase;
let prisma: PrismaClient;
let workers: RunningServiceWorkers;
let publisher: EventPublisher;
let queue: Queue;

beforeAll(async () => {
  reviews = await startReviews();
  database = await openDatabase({ target: { kind: 'postgres', url: reviews.database.url }, migrationsDir: '', migrate: false, poolSize: 3 });
  prisma = new PrismaClient({ adapter: database.adapter });
  workers = await startServiceWorkers('reviews', createWorkers, { prisma, queues, logger: silentLogger, env: {} });
  publisher = new EventPublisher({ subscriptions: STORE_SUBSCRIPTIONS, queues });
  queue = new Queue(consumerQueueName(REVIEWS_CONSUMER), { connection: queues.connection, prefix: queues.prefix });
});
afterAll(async () => {
  await publisher?.close();
  await queue?.close();
  await workers?.close();
  await prisma?.$disconnect();
  await database?.close();
  await reviews?.close();
  await deleteQueueKeys(queues.prefix);
});

const userRegistered = (userId: string, name: string): DomainEvent<'UserRegistered', 1> =>
  defineEvent({ type: 'UserRegistered', version: 1, source: 'accounts', aggregateId: userId, correlationId: null, payload: { userId, email: `${userId}@example.test`, name } });

function orderStatusChanged(
  userId: string,
  to: 'RESERVED' | 'PAID',
  purchasableIds: string[] | undefined,
  occurredAt = new Date(),
  orderId: string = randomUUID(),
): DomainEvent<'OrderStatusChanged', 1> {
  return defineEvent({
    type: 'OrderStatusChanged',
    version: 1,
    source: 'orders',
    aggregateId: orderId,
    correlationId: null,
    occurredAt,
    payload: {
      orderId,
      userId,
      from: to === 'PAID' ? 'RESERVED' : 'PENDING',
      to,
      reason: null,
      ...(purchasableIds ? { items: purchasableIds.map((purchasableId) => ({ purchasableId, quantity: 1 })) } : {}),
    },
  });
}

/** Publishes the events and waits until the consumer has completed this many more jobs in all. */
async function deliver(...events: DomainEvent[]): Promise<void> {
  const before = (await queue.getJobCounts('completed')).completed ?? 0;
  for (const event of events) await publisher.publish(event);
  await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= before + events.length, 'the reviews consumer');
}

const purchasesOf = (userId: string) =>
  withSql(reviews, (sql) =>
    sql('SELECT purchasable_id::text AS "purchasableId", first_order_id::text AS "orderId" FROM purchases WHERE user_id = $1 ORDER BY 1', [userId]),
  );

const write = (purchasableId: string, viewer: Viewer) =>
  reviews.query<{ writeReview: { review: { id: string; verifiedPurchase: boolean; author: { name: string } } | null; errors: Array<{ code: string }> } }>(
    'mutation ($input: WriteReviewInput!) { writeReview(input: $input) { review { id verifiedPurchase author { name } } errors { code } } }',
    { input: { purchasableId, rating: 5, title: 'Just bought it', body: 'Arrived and works.' } },
    viewer,
  );

it('lets a new user review what their paid order contained, and nothing else', async () => {
  const buyer = randomUUID();
  const [bought, other] = [productId(3), productId(4)];
  expect((await write(bought, customerWithId(buyer))).body.data?.writeReview.errors.map((e) => e.code)).toEqual(['NOT_PURCHASED']);

  await deliver(userRegistered(buyer, 'Grace Hopper'), orderStatusChanged(buyer, 'RESERVED', [other]), orderStatusChanged(buyer, 'PAID', [bought]));

  const written = (await write(bought, customerWithId(buyer))).body.data?.writeReview;
  expect(written?.errors).toEqual([]);
  expect(written?.review).toMatchObject({ verifiedPurchase: true, author: { name: 'Grace Hopper' } });
  // RESERVED is not a purchase: the other product stays unreviewable.
  expect((await write(other, customerWithId(buyer))).body.data?.writeReview.errors.map((e) => e.code)).toEqual(['NOT_PURCHASED']);
});

it('records a PAID order once however often it is delivered', async () => {
  const buyer = randomUUID();
  const paid = orderStatusChanged(buyer, 'PAID', [productId(5), productId(6)]);
  await deliver(paid);
  // The same event again, as a relay that crashed after publishing would send it (a new job id, the same event id).
  const redelivery = await queue.add(paid.type, paid, { jobId: `${paid.id}-redelivered` });
  await waitFor(async () => (await queue.getJob(redelivery.id!))?.finishedOn !== undefined, 'the redelivery');
  // The consumer found the event in processed_events and applied nothing.
  expect((await queue.getJob(redelivery.id!))?.returnvalue).toBe('duplicate');

  expect(await purchasesOf(buyer)).toEqual(
    [productId(5), productId(6)].sort().map((purchasableId) => ({ purchasableId, orderId: paid.payload.orderId })),
  );
  const processed = await withSql(reviews, (sql) => sql('SELECT count(*)::int AS n FROM processed_events WHERE consumer = $1 AND event_id = $2', [REVIEWS_CONSUMER, paid.id]));
  expect(processed).toEqual([{ n: 1 }]);
  expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
});

it('keeps the first paid order of a purchasable, whichever order its events arrive in', async () => {
  const buyer = randomUUID();
  const earlier = orderStatusChanged(buyer, 'PAID', [productId(7)], new Date('2026-11-01T10:00:00Z'));
  const later = orderStatusChanged(buyer, 'PAID', [productId(7)], new Date('2026-11-02T10:00:00Z'));
  await deliver(later);
  await deliver(earlier);
  expect(await purchasesOf(buyer)).toEqual([{ purchasableId: productId(7), orderId: earlier.payload.orderId }]);
});

it('skips a PAID change written before the event carried its items, without failing it', async () => {
  const buyer = randomUUID();
  await deliver(orderStatusChanged(buyer, 'PAID', undefined));
  expect(await purchasesOf(buyer)).toEqual([]);
  expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
});
