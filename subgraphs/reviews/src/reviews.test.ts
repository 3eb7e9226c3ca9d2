import { nameBasedUuid } from '@storefront/api-conventions';
import { SeedNamespace, seedUser, type SeedReview } from '@storefront/seed-world';
import type { GraphQLResponse, TestSubgraph } from '@storefront/testing';
import { busiest, errorCodes, newestFirst, productId, startReviews, TEST_PLAN, userId, world, type Edges } from './test-fixtures.ts';

let reviews: TestSubgraph;
beforeAll(async () => {
  reviews = await startReviews();
});
afterAll(() => reviews?.close());

type ReviewNode = {
  id: string;
  rating: number;
  title: string;
  body: string;
  createdAt: string;
  verifiedPurchase: boolean;
  author: { id: string; name: string };
  purchasable: { __typename: string; id: string };
};
const REVIEW_FIELDS = 'id rating title body createdAt verifiedPurchase author { id name } purchasable { __typename id }';
const asNode = (review: SeedReview): ReviewNode => ({
  id: review.id,
  rating: review.rating,
  title: review.title,
  body: review.body,
  createdAt: review.createdAt.toISOString(),
  verifiedPurchase: true,
  author: { id: review.authorId, name: review.authorName },
  purchasable: { __typename: 'Purchasable', id: review.purchasableId },
});

type Order = 'NEWEST' | 'HIGHEST_RATED' | 'LOWEST_RATED';
const EXPECTED_ORDER: Record<Order, (a: SeedReview, b: SeedReview) => number> = {
  NEWEST: newestFirst,
  HIGHEST_RATED: (a, b) => b.rating - a.rating || newestFirst(a, b),
  LOWEST_RATED: (a, b) => a.rating - b.rating || newestFirst(a, b),
};

/** Follows endCursor through a purchasable's reviews, asking as the router does (an _entities call). */
async function everyReviewOf(purchasableId: string, order: Order, pageSize: number): Promise<ReviewNode[]> {
  const nodes: ReviewNode[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages += 1) {
    const { body }: GraphQLResponse<{ _entities: Array<{ reviews: Edges<ReviewNode> }> }> = await reviews.query(
      `query ($r: [_Any!]!, $after: String, $order: ReviewOrder) { _entities(representations: $r) { ... on Purchasable {
        reviews(first: ${pageSize}, after: $after, orderBy: $order) { edges { cursor node { ${REVIEW_FIELDS} } } pageInfo { hasNextPage hasPreviousPage endCursor } }
      } } }`,
      { r: [{ __typename: 'Purchasable', id: purchasableId }], after, order },
    );
    expect(body.errors).toBeUndefined();
    const page: Edges<ReviewNode> = body.data!._entities[0]!.reviews;
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

const [busiestProduct] = busiest((review) => review.purchasableId);
const [busiestAuthor] = busiest((review) => review.authorId);

describe('a purchasable’s reviews', () => {
  it.each(['NEWEST', 'HIGHEST_RATED', 'LOWEST_RATED'] as const)('pages through every review exactly once, %s', async (order) => {
    const expected = world.reviews.filter((r) => r.purchasableId === busiestProduct).sort(EXPECTED_ORDER[order]);
    expect(expected.length).toBeGreaterThan(6);
    expect(await everyReviewOf(busiestProduct!, order, 3)).toEqual(expected.map(asNode));
  });

  it('reports the mean rating and count from the summary, null and 0 without reviews', async () => {
    const giftCard = nameBasedUuid(SeedNamespace.giftCard, 0); // bought, never reviewed
    const { body } = await reviews.query<{ _entities: Array<{ id: string; averageRating: number | null; reviewCount: number } | null> }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { id averageRating reviewCount } } }',
      { r: [busiestProduct, giftCard, 'not-a-uuid'].map((id) => ({ __typename: 'Purchasable', id })) },
    );
    const ratings = world.reviews.filter((r) => r.purchasableId === busiestProduct).map((r) => r.rating);
    expect(body.data!._entities).toEqual([
      { id: busiestProduct, averageRating: ratings.reduce((a, b) => a + b, 0) / ratings.length, reviewCount: ratings.length },
      { id: giftCard, averageRating: null, reviewCount: 0 },
      null,
    ]);
  });

  it('refuses a cursor from another ordering, a forged cursor and an oversized page', async () => {
    const { body } = await reviews.query<{ _entities: Array<{ reviews: Edges<unknown> }> }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { reviews(first: 1, orderBy: HIGHEST_RATED) { pageInfo { endCursor } } } } }',
      { r: [{ __typename: 'Purchasable', id: busiestProduct }] },
    );
    const cursor = body.data!._entities[0]!.reviews.pageInfo.endCursor;
    const ask = (args: string, after: string | null = null) =>
      reviews.query('query ($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Purchasable { reviews(' + args + ', after: $after) { edges { cursor } } } } }', {
        r: [{ __typename: 'Purchasable', id: busiestProduct }],
        after,
      });
    expect(errorCodes(await ask('orderBy: NEWEST', cursor))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await ask('orderBy: LOWEST_RATED', cursor))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await ask('orderBy: HIGHEST_RATED', cursor))).toEqual([]);
    expect(errorCodes(await ask('orderBy: NEWEST', Buffer.from('{"order":"NEWEST","id":1}').toString('base64url')))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await ask('first: 101'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('a user’s reviews', () => {
  it('pages through everything the user wrote, newest first, exactly once', async () => {
    const expected = world.reviews.filter((r) => r.authorId === busiestAuthor).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(4);
    const seen: Array<{ id: string }> = [];
    let after: string | null = null;
    for (;;) {
      const { body }: GraphQLResponse<{ _entities: Array<{ reviews: Edges<{ id: string }> }> }> = await reviews.query(
        'query ($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on User { reviews(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } }',
        { r: [{ __typename: 'User', id: busiestAuthor }], after },
      );
      expect(body.errors).toBeUndefined();
      const page: Edges<{ id: string }> = body.data!._entities[0]!.reviews;
      seen.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected.map((review) => ({ id: review.id })));
  });

  it('gives users without reviews an empty page, and a non-UUID user null', async () => {
    const reviewers = new Set(world.reviews.map((r) => r.authorId));
    const quiet = Array.from({ length: TEST_PLAN.users }, (_, i) => userId(i)).find((id) => !reviewers.has(id));
    const { body } = await reviews.query<{ _entities: unknown[] }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id reviews { edges { cursor } pageInfo { hasNextPage } } } } }',
      { r: [quiet, 'nope'].map((id) => ({ __typename: 'User', id })) },
    );
    expect(body.data!._entities).toEqual([{ id: quiet, reviews: { edges: [], pageInfo: { hasNextPage: false } } }, null]);
  });
});

describe('single reviews', () => {
  const sample = world.reviews[0]!;

  it('finds a review by id with its author’s kept name, and a missing one as null', async () => {
    const { body } = await reviews.query<{ found: ReviewNode; missing: null }>(
      `query ($id: ID!, $missing: ID!) { found: review(id: $id) { ${REVIEW_FIELDS} } missing: review(id: $missing) { id } }`,
      { id: sample.id, missing: nameBasedUuid('nope', 1) },
    );
    expect(body.data).toEqual({ found: asNode(sample), missing: null });
    // The name reviews keep is the one accounts seeds for the same user.
    const authorIndex = Array.from({ length: TEST_PLAN.users }, (_, i) => userId(i)).indexOf(sample.authorId);
    expect(body.data!.found.author.name).toBe(seedUser(authorIndex, TEST_PLAN).name);
  });

  it('refuses an id that is not a UUID', async () => {
    expect(errorCodes(await reviews.query('{ review(id: "42") { id } }'))).toEqual(['BAD_USER_INPUT']);
  });

  it('resolves Review references in a batch, null for unknown ids', async () => {
    const wanted = [sample.id, nameBasedUuid('nope', 2), 'not-a-uuid', world.reviews[1]!.id];
    const { body } = await reviews.query<{ _entities: Array<{ id: string } | null> }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Review { id } } }',
      { r: wanted.map((id) => ({ __typename: 'Review', id })) },
    );
    expect(body.data!._entities).toEqual([{ id: sample.id }, null, null, { id: world.reviews[1]!.id }]);
  });
});

describe('batching: statements do not grow with the number of entities', () => {
  const products = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Purchasable', id: productId(i) }));
  const users = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'User', id: userId(i + 1) }));

  it('costs 2 statements for 1 or 50 purchasables with reviews, authors, mean and count', async () => {
    const run = (n: number) =>
      reviews.query(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { reviews(first: 5) { edges { node { rating author { id name } } } } averageRating reviewCount } } }',
        { r: products(n) },
      );
    const one = await reviews.countQueries(() => run(1));
    const fifty = await reviews.countQueries(() => run(50));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
    const { body } = await run(50);
    expect(body.errors).toBeUndefined();
    const counted = (body.data as { _entities: Array<{ reviews: Edges<unknown>; reviewCount: number }> })._entities;
    expect(counted.reduce((sum, p) => sum + p.reviewCount, 0)).toBe(world.reviews.filter((r) => products(50).some((p) => p.id === r.purchasableId)).length);
  });

  it('costs 1 statement for 1 or 50 users with their reviews', async () => {
    const run = (n: number) =>
      reviews.query(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { reviews(first: 5) { edges { node { rating author { id name } } } } } } }',
        { r: users(n) },
      );
    const one = await reviews.countQueries(() => run(1));
    const fifty = await reviews.countQueries(() => run(50));
    expect(one).toBe(1);
    expect(fifty).toBe(one);
  });

  it('costs 2 statements for 1 or 50 reviews with their verified-purchase flags', async () => {
    const run = (n: number) =>
      reviews.query<{ _entities: Array<{ verifiedPurchase: boolean }> }>(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Review { verifiedPurchase purchasable { id } author { name } } } }',
        { r: world.reviews.slice(0, n).map((review) => ({ __typename: 'Review', id: review.id })) },
      );
    const one = await reviews.countQueries(() => run(1));
    const fifty = await reviews.countQueries(() => run(50));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
    expect((await run(50)).body.data!._entities.every((review) => review.verifiedPurchase)).toBe(true);
  });

  it('batches a second ordering of the same purchasables separately, still independent of their number', async () => {
    const run = (n: number) =>
      reviews.query(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { best: reviews(first: 1, orderBy: HIGHEST_RATED) { edges { cursor } } worst: reviews(first: 1, orderBy: LOWEST_RATED) { edges { cursor } } } } }',
        { r: products(n) },
      );
    expect(await reviews.countQueries(() => run(1))).toBe(2);
    expect(await reviews.countQueries(() => run(50))).toBe(2);
  });
});
