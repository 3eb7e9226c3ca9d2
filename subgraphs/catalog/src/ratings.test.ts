import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { consumerQueueName, defineEvent, EventPublisher, EVENT_JOB_OPTIONS, STORE_SUBSCRIPTIONS, type DomainEvent } from '@storefront/events';
import { Queue } from 'bullmq';
import { startCatalogWorld, waitFor, type CatalogWorld } from './test-workers.ts';

const PLAN: SeedPlan = { users: 4, categories: 3, products: 30, warehouses: 1, orders: 0, wishlistItemsPerUser: 0 };
const productId = (i: number) => nameBasedUuid(SeedNamespace.product, i);
const giftCardId = nameBasedUuid(SeedNamespace.giftCard, 0);

let world: CatalogWorld;
let publisher: EventPublisher;
let ratingsQueue: Queue;
beforeAll(async () => {
  world = await startCatalogWorld(PLAN);
  await world.startWorkers();
  publisher = new EventPublisher({ subscriptions: STORE_SUBSCRIPTIONS, queues: world.queues });
  ratingsQueue = new Queue(consumerQueueName('catalog-ratings'), { connection: world.queues.connection, prefix: world.queues.prefix });
});
afterAll(async () => {
  await publisher?.close();
  await ratingsQueue?.close();
  await world?.close();
});

const reviewPublished = (purchasableId: string, rating: number): DomainEvent<'ReviewPublished', 1> =>
  defineEvent({
    type: 'ReviewPublished',
    version: 1,
    source: 'reviews',
    aggregateId: randomUUID(),
    correlationId: null,
    payload: { reviewId: randomUUID(), productId: purchasableId, userId: randomUUID(), rating },
  });

const reviewDeleted = ({ payload }: DomainEvent<'ReviewPublished', 1>): DomainEvent<'ReviewDeleted', 1> =>
  defineEvent({ type: 'ReviewDeleted', version: 1, source: 'reviews', aggregateId: payload.reviewId, correlationId: null, payload });

type Aggregate = { id: string; count: number; sum: number; average: number };
const aggregates = () =>
  world.prisma.$queryRaw<Aggregate[]>`
    SELECT id::text AS id, rating_count AS count, rating_sum AS sum, rating_average AS average FROM products WHERE rating_count > 0 ORDER BY id`;

/** What the products' rating columns must hold after `events`: a recount from scratch. */
function recount(events: ReadonlyArray<DomainEvent<'ReviewPublished', 1>>): Aggregate[] {
  const byProduct = new Map<string, { count: number; sum: number }>();
  for (const { payload } of events) {
    const current = byProduct.get(payload.productId) ?? { count: 0, sum: 0 };
    byProduct.set(payload.productId, { count: current.count + 1, sum: current.sum + payload.rating });
  }
  return [...byProduct.entries()]
    .map(([id, { count, sum }]) => ({ id, count, sum, average: sum / count }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

const completed = async () => (await ratingsQueue.getJobCounts('completed')).completed ?? 0;

describe('catalog-ratings', () => {
  const events: Array<DomainEvent<'ReviewPublished', 1>> = [];

  it('counts each published review once, even when an event is delivered twice, and matches a recount', async () => {
    for (let i = 0; i < 40; i++) events.push(reviewPublished(productId(i % 7), 1 + ((i * 3) % 5)));
    await Promise.all(events.map((event) => publisher.publish(event)));
    // Redelivery: the same events again under other job ids (as after a relay crash once BullMQ forgot them).
    const again = events.slice(0, 10);
    await ratingsQueue.addBulk(again.map((event) => ({ name: event.type, data: event, opts: { ...EVENT_JOB_OPTIONS, jobId: `${event.id}-again` } })));
    await waitFor(async () => (await completed()) === events.length + again.length, 'every delivery to be processed');

    expect(await aggregates()).toEqual(recount(events));
    const [processed] = await world.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'catalog-ratings'`;
    expect(processed!.n).toBe(events.length);
  });

  it('ignores reviews of gift cards and unknown purchasables without failing or retrying', async () => {
    const before = await aggregates();
    const strays = [reviewPublished(giftCardId, 5), reviewPublished(randomUUID(), 4)];
    const done = await completed();
    await Promise.all(strays.map((event) => publisher.publish(event)));
    await waitFor(async () => (await completed()) === done + strays.length, 'the stray events to complete');
    expect(await aggregates()).toEqual(before);
    expect(await ratingsQueue.getJobCounts('failed', 'delayed')).toEqual({ failed: 0, delayed: 0 });
  });

  it('takes deleted reviews back out, once, in whichever order publication and removal arrive', async () => {
    const published = events.splice(0, 12); // counted by the first test
    const done = await completed();
    // Removals of counted reviews, all at once and one of them twice (redelivery under another job id).
    const removals = published.map(reviewDeleted);
    // Reviews removed before their publication reaches catalog: the late publication must never count.
    const late = [reviewPublished(productId(1), 5), reviewPublished(productId(2), 1)];
    const early = late.map(reviewDeleted);
    await Promise.all([...removals, ...early].map((event) => publisher.publish(event)));
    await ratingsQueue.add(removals[0]!.type, removals[0]!, { ...EVENT_JOB_OPTIONS, jobId: `${removals[0]!.id}-again` });
    await waitFor(async () => (await completed()) === done + removals.length + early.length + 1, 'the removals to be processed');
    await Promise.all(late.map((event) => publisher.publish(event)));
    await waitFor(async () => (await completed()) === done + removals.length + early.length + 1 + late.length, 'the late publications');

    expect(await aggregates()).toEqual(recount(events));
    expect(await ratingsQueue.getJobCounts('failed', 'delayed')).toEqual({ failed: 0, delayed: 0 });
    const [row] = await world.prisma.$queryRaw<Array<{ counted: boolean; removed: boolean }>>`
      SELECT counted, removed_at IS NOT NULL AS removed FROM review_ratings WHERE review_id = ${late[0]!.payload.reviewId}::uuid`;
    expect(row).toEqual({ counted: false, removed: true });
  });

  it('orders products by mean rating with TOP_RATED, paging through every product once', async () => {
    type Page = { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const { body }: { body: { data?: { products: Page } | null } } = await world.catalog.query<{ products: Page }>(
        'query ($after: String) { products(first: 7, after: $after, orderBy: TOP_RATED) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page: Page = body.data!.products;
      ids.push(...page.edges.map((edge) => edge.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(ids).size).toBe(PLAN.products);
    const rated = recount(events).sort((a, b) => b.average - a.average || (a.id < b.id ? 1 : -1));
    expect(ids.slice(0, rated.length)).toEqual(rated.map((r) => r.id));
  });
});
