import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { type Viewer } from '@storefront/identity';
import { SeedNamespace, seedUser } from '@storefront/seed-world';
import type { TestSubgraph } from '@storefront/testing';
import {
  admin,
  busiest,
  customerWithId,
  errorCodes,
  productId,
  startReviews,
  summariesVersusReviews,
  TEST_PLAN,
  userId,
  withSql,
  world,
} from './test-fixtures.ts';

let reviews: TestSubgraph;
beforeAll(async () => {
  reviews = await startReviews();
});
afterAll(() => reviews?.close());

type Payload = {
  review: { id: string; rating: number; title: string; author: { id: string; name: string }; verifiedPurchase: boolean } | null;
  errors: Array<{ path: string[]; code: string }>;
};
const PAYLOAD = 'review { id rating title author { id name } verifiedPurchase } errors { path code }';

const write = (input: Record<string, unknown>, viewer?: Viewer) =>
  reviews.query<{ writeReview: Payload }>(`mutation ($input: WriteReviewInput!) { writeReview(input: $input) { ${PAYLOAD} } }`, { input }, viewer);
const remove = (id: string, viewer?: Viewer) =>
  reviews.query<{ deleteReview: Payload }>(`mutation ($id: ID!) { deleteReview(id: $id) { ${PAYLOAD} } }`, { id }, viewer);

async function summaryOf(purchasableId: string): Promise<{ averageRating: number | null; reviewCount: number }> {
  const { body } = await reviews.query<{ _entities: Array<{ averageRating: number | null; reviewCount: number }> }>(
    'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { averageRating reviewCount } } }',
    { r: [{ __typename: 'Purchasable', id: purchasableId }] },
  );
  return body.data!._entities[0]!;
}

/**
 * Purchases nobody has reviewed yet, each of a different user and product so tests do not collide. The
 * busiest product is left alone: its page of reviews is what the other test file pages through.
 */
const reviewed = new Set(world.reviews.map((r) => `${r.authorId}:${r.purchasableId}`));
const products = Array.from({ length: TEST_PLAN.products }, (_, i) => productId(i));
const [busiestProduct] = busiest((review) => review.purchasableId);
const unreviewedOf = (purchasableId: string) =>
  world.purchases.filter((p) => p.purchasableId === purchasableId && !reviewed.has(`${p.userId}:${p.purchasableId}`));
const unreviewed = products
  .filter((id) => id !== busiestProduct)
  .slice(0, 12)
  .map((id) => unreviewedOf(id)[0])
  .filter((purchase) => purchase !== undefined);
/** The product many buyers will review at once: one the pairs above leave alone, with the most candidates. */
const crowdedProduct = products
  .slice(12)
  .filter((id) => id !== busiestProduct)
  .sort((a, b) => unreviewedOf(b).length - unreviewedOf(a).length)[0]!;
let next = 0;
/** A fresh (buyer, product) pair that may be reviewed. */
function nextPurchase() {
  const purchase = unreviewed[next];
  next += 1;
  if (!purchase) throw new Error('the test plan has too few unreviewed purchases');
  return { viewer: customerWithId(purchase.userId), purchasableId: purchase.purchasableId };
}
const nameOf = (id: string) => seedUser(Array.from({ length: TEST_PLAN.users }, (_, i) => userId(i)).indexOf(id), TEST_PLAN).name;
const review = { rating: 4, title: 'Sturdy and quiet', body: 'Does what it says. Would buy again.' };

describe('writeReview', () => {
  it('stores the review under the author’s kept name and counts it in the summary; a second one is refused', async () => {
    const { viewer, purchasableId } = nextPurchase();
    const before = await summaryOf(purchasableId);
    const first = (await write({ ...review, purchasableId }, viewer)).body.data!.writeReview;
    expect(first).toEqual({
      review: { id: expect.any(String), rating: 4, title: 'Sturdy and quiet', author: { id: viewer.userId, name: nameOf(viewer.userId) }, verifiedPurchase: true },
      errors: [],
    });
    const after = await summaryOf(purchasableId);
    expect(after.reviewCount).toBe(before.reviewCount + 1);
    expect(after.averageRating).toBeCloseTo(((before.averageRating ?? 0) * before.reviewCount + 4) / (before.reviewCount + 1), 10);

    const again = (await write({ ...review, rating: 1, purchasableId }, viewer)).body.data!.writeReview;
    expect(again).toEqual({ review: null, errors: [{ path: ['input', 'purchasableId'], code: 'ALREADY_EXISTS' }] });
    expect(await summaryOf(purchasableId)).toEqual(after);

    const { body } = await reviews.query<{ review: { id: string } }>('query ($id: ID!) { review(id: $id) { id } }', { id: first.review!.id });
    expect(body.data!.review).toEqual({ id: first.review!.id });
  });

  it('refuses what the viewer has not bought', async () => {
    const { viewer } = nextPurchase();
    const bought = new Set(world.purchases.filter((p) => p.userId === viewer.userId).map((p) => p.purchasableId));
    const notBought = products.find((id) => !bought.has(id))!;
    const { body } = await write({ ...review, purchasableId: notBought }, viewer);
    expect(body.data!.writeReview).toEqual({ review: null, errors: [{ path: ['input', 'purchasableId'], code: 'NOT_PURCHASED' }] });
  });

  it('reports every invalid field at once, with codes', async () => {
    const { viewer } = nextPurchase();
    const { body } = await write({ purchasableId: 'p-1', rating: 0, title: '   ', body: 'x'.repeat(5_001) }, viewer);
    expect(body.data!.writeReview).toEqual({
      review: null,
      errors: [
        { path: ['input', 'purchasableId'], code: 'INVALID' },
        { path: ['input', 'rating'], code: 'TOO_SMALL' },
        { path: ['input', 'title'], code: 'TOO_SHORT' },
        { path: ['input', 'body'], code: 'TOO_LONG' },
      ],
    });
    const tooMuch = await write({ purchasableId: productId(1), rating: 6, title: 't'.repeat(121), body: 'ok' }, viewer);
    expect(tooMuch.body.data!.writeReview.errors).toEqual([
      { path: ['input', 'rating'], code: 'TOO_BIG' },
      { path: ['input', 'title'], code: 'TOO_LONG' },
    ]);
  });

  it('refuses control characters as INVALID_CHARACTERS; a body may span lines, a title may not', async () => {
    const { viewer, purchasableId } = nextPurchase();
    const refused = await write({ ...review, purchasableId, title: 'Quiet\u0000', body: 'Good\u0000value' }, viewer);
    expect(refused.body.data!.writeReview).toEqual({
      review: null,
      errors: [
        { path: ['input', 'title'], code: 'INVALID_CHARACTERS' },
        { path: ['input', 'body'], code: 'INVALID_CHARACTERS' },
      ],
    });
    const twoLineTitle = await write({ ...review, purchasableId, title: 'Quiet\nand sturdy' }, viewer);
    expect(twoLineTitle.body.data!.writeReview.errors).toEqual([{ path: ['input', 'title'], code: 'INVALID_CHARACTERS' }]);
    const escape = await write({ ...review, purchasableId, body: 'Loud \u001b[5mblinking\u001b[0m' }, viewer);
    expect(escape.body.data!.writeReview.errors).toEqual([{ path: ['input', 'body'], code: 'INVALID_CHARACTERS' }]);
    const multiLine = await write({ ...review, purchasableId, body: 'Pros:\n\t- quiet\r\n\t- sturdy' }, viewer);
    expect(multiLine.body.data!.writeReview).toMatchObject({ review: { title: review.title }, errors: [] });
  });

  it('needs a signed-in viewer', async () => {
    expect(errorCodes(await write({ ...review, purchasableId: productId(1) }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses, without guessing a name, a buyer whose display name has not reached reviews yet', async () => {
    const stranger = randomUUID();
    const purchasableId = productId(2);
    await withSql(reviews, (sql) =>
      sql('INSERT INTO purchases (user_id, purchasable_id, first_order_id, purchased_at) VALUES ($1, $2, $3, now())', [stranger, purchasableId, randomUUID()]),
    );
    const { body } = await write({ ...review, purchasableId }, customerWithId(stranger));
    expect(body.data!.writeReview).toEqual({ review: null, errors: [{ path: ['input'], code: 'INVALID_STATE' }] });
  });

  it('lets only one of several concurrent submissions in, and counts it once', async () => {
    const { viewer, purchasableId } = nextPurchase();
    const before = await summaryOf(purchasableId);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => write({ ...review, rating: 1 + (i % 5), purchasableId }, viewer)));
    const payloads = results.map((r) => r.body.data!.writeReview);
    expect(payloads.filter((p) => p.review !== null)).toHaveLength(1);
    expect(payloads.filter((p) => p.errors[0]?.code === 'ALREADY_EXISTS')).toHaveLength(5);
    expect((await summaryOf(purchasableId)).reviewCount).toBe(before.reviewCount + 1);
  });

  it('keeps summaries exact when many buyers review one product at once', async () => {
    const purchasableId = crowdedProduct;
    const buyers = unreviewedOf(purchasableId);
    expect(buyers.length).toBeGreaterThan(1);
    const results = await Promise.all(buyers.map((b, i) => write({ ...review, rating: 1 + (i % 5), purchasableId }, customerWithId(b.userId))));
    expect(results.every((r) => r.body.data!.writeReview.errors.length === 0)).toBe(true);
    const { stored, computed } = await summariesVersusReviews(reviews);
    expect(stored).toEqual(computed);
  });
});

type OutboxRow = { type: string; version: number; source: string; aggregate_id: string; correlation_id: string | null; payload: Record<string, unknown> };
const eventsOf = (purchasableId: string) =>
  withSql(reviews, (sql) =>
    sql(
      `SELECT type, version, source, aggregate_id, correlation_id, payload FROM outbox_events
       WHERE payload->>'productId' = $1 ORDER BY occurred_at, type DESC`,
      [purchasableId],
    ),
  ) as Promise<OutboxRow[]>;

describe('ReviewPublished', () => {
  it('is written to the outbox with the review, once, carrying the request id; a refused write publishes nothing', async () => {
    const { viewer, purchasableId } = nextPurchase();
    const results = await Promise.all(Array.from({ length: 4 }, () => write({ ...review, rating: 5, purchasableId }, viewer)));
    const created = results.map((r) => r.body.data!.writeReview.review).find((r) => r !== null)!;
    const published = await eventsOf(purchasableId);
    expect(published).toEqual([
      {
        type: 'ReviewPublished',
        version: 1,
        source: 'reviews',
        aggregate_id: created.id,
        correlation_id: expect.any(String),
        payload: { reviewId: created.id, productId: purchasableId, userId: viewer.userId, rating: 5 },
      },
    ]);
    const refused = await write({ ...review, rating: 1, purchasableId }, viewer);
    expect(refused.body.data!.writeReview.errors).toEqual([{ path: ['input', 'purchasableId'], code: 'ALREADY_EXISTS' }]);
    expect(await eventsOf(purchasableId)).toHaveLength(1);
  });
});

describe('deleteReview', () => {
  /** Writes a fresh review to delete. */
  async function freshReview() {
    const { viewer, purchasableId } = nextPurchase();
    const { body } = await write({ ...review, rating: 2, purchasableId }, viewer);
    return { viewer, purchasableId, id: body.data!.writeReview.review!.id };
  }

  it('lets the author delete their review, taking it out of the summary', async () => {
    const { viewer, purchasableId, id } = await freshReview();
    const before = await summaryOf(purchasableId);
    const { body } = await remove(id, viewer);
    expect(body.data!.deleteReview).toEqual({
      review: { id, rating: 2, title: review.title, author: { id: viewer.userId, name: nameOf(viewer.userId) }, verifiedPurchase: true },
      errors: [],
    });
    expect((await summaryOf(purchasableId)).reviewCount).toBe(before.reviewCount - 1);
    expect((await reviews.query('query ($id: ID!) { review(id: $id) { id } }', { id })).body.data).toEqual({ review: null });
    expect((await remove(id, viewer)).body.data!.deleteReview).toEqual({ review: null, errors: [{ path: ['id'], code: 'NOT_FOUND' }] });
  });

  it('lets an admin delete anyone’s review, and nobody else', async () => {
    const seeded = world.reviews.find((r) => r.purchasableId !== busiestProduct)!;
    const other = customerWithId(userId(seeded.authorId === userId(1) ? 2 : 1));
    expect(errorCodes(await remove(seeded.id))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await remove(seeded.id, other))).toEqual(['FORBIDDEN']);
    const { body } = await remove(seeded.id, admin);
    expect(body.data!.deleteReview).toMatchObject({ review: { id: seeded.id, author: { id: seeded.authorId, name: seeded.authorName } }, errors: [] });
  });

  it('refuses an id that is not a UUID', async () => {
    expect(errorCodes(await remove('42', admin))).toEqual(['BAD_USER_INPUT']);
  });

  it('counts a review out once when it is deleted several times at once', async () => {
    const { viewer, purchasableId, id } = await freshReview();
    const before = await summaryOf(purchasableId);
    const results = await Promise.all([viewer, admin, viewer, admin].map((who) => remove(id, who)));
    const payloads = results.map((r) => r.body.data!.deleteReview);
    expect(payloads.filter((p) => p.review?.id === id)).toHaveLength(1);
    expect(payloads.filter((p) => p.errors[0]?.code === 'NOT_FOUND')).toHaveLength(3);
    expect((await summaryOf(purchasableId)).reviewCount).toBe(before.reviewCount - 1);
    const { stored, computed } = await summariesVersusReviews(reviews);
    expect(stored).toEqual(computed);
    // Announced once, with what the publication carried, so catalog takes back exactly what it counted.
    expect(await eventsOf(purchasableId)).toEqual([
      expect.objectContaining({ type: 'ReviewPublished' }),
      {
        type: 'ReviewDeleted',
        version: 1,
        source: 'reviews',
        aggregate_id: id,
        correlation_id: expect.any(String),
        payload: { reviewId: id, productId: purchasableId, userId: viewer.userId, rating: 2 },
      },
    ]);
  });

  it('gives a gift card whose only review is deleted a null mean again', async () => {
    const buyer = world.purchases.find((p) => p.purchasableId === nameBasedUuid(SeedNamespace.giftCard, 1))!;
    const viewer = customerWithId(buyer.userId);
    const { body } = await write({ ...review, rating: 5, purchasableId: buyer.purchasableId }, viewer);
    expect(await summaryOf(buyer.purchasableId)).toEqual({ averageRating: 5, reviewCount: 1 });
    await remove(body.data!.writeReview.review!.id, viewer);
    expect(await summaryOf(buyer.purchasableId)).toEqual({ averageRating: null, reviewCount: 0 });
  });
});
