import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { reviewsSeed, SeedNamespace, type SeedPlan, type SeedReview } from '@storefront/seed-world';
import { createPgPool } from '@storefront/prisma-tools';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';

/** Small enough to seed in well under a second, big enough for 50-entity batches and several pages. */
export const TEST_PLAN: SeedPlan = { users: 60, categories: 4, products: 60, warehouses: 2, orders: 300, wishlistItemsPerUser: 2 };

/** What the database holds after seeding TEST_PLAN. */
export const world = reviewsSeed(TEST_PLAN);

export const userId = (index: number) => nameBasedUuid(SeedNamespace.user, index);
export const productId = (index: number) => nameBasedUuid(SeedNamespace.product, index);
export const admin: Viewer = viewerWithRoles(userId(0), ['ADMIN', 'CUSTOMER']);
export const customerWithId = (id: string): Viewer => viewerWithRoles(id, ['CUSTOMER']);

/** The reviews subgraph on a fresh database seeded with TEST_PLAN. */
export function startReviews(): Promise<TestSubgraph> {
  return startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, TEST_PLAN);
}

export const newestFirst = (a: SeedReview, b: SeedReview) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Ids that group the most seeded reviews (of one purchasable, or by one author), most first. */
export function busiest(key: (review: SeedReview) => string): string[] {
  const counts = new Map<string, number>();
  for (const review of world.reviews) counts.set(key(review), (counts.get(key(review)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
}

export interface Edges<Node> {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

/** The `extensions.code` of each error, for asserting on authorization and bad input. */
export const errorCodes = (response: GraphQLResponse) => (response.body.errors ?? []).map((error) => error.extensions?.code);

/** Runs SQL against the test database directly: to set up states the API cannot create, and to check invariants. */
export async function withSql<T>(subgraph: TestSubgraph, work: (sql: (text: string, values?: unknown[]) => Promise<unknown[]>) => Promise<T>): Promise<T> {
  const pool = createPgPool({ connectionString: subgraph.database.url, max: 1 });
  try {
    return await work(async (text, values) => (await pool.query(text, values)).rows as unknown[]);
  } finally {
    await pool.end();
  }
}

/** Reviews the summaries say each purchasable has, next to what the reviews table holds (should be equal). */
export async function summariesVersusReviews(subgraph: TestSubgraph): Promise<{ stored: unknown[]; computed: unknown[] }> {
  return withSql(subgraph, async (sql) => ({
    stored: await sql(
      'SELECT purchasable_id::text AS id, review_count AS count, rating_sum AS sum FROM rating_summaries WHERE review_count > 0 ORDER BY 1',
    ),
    computed: await sql(
      'SELECT purchasable_id::text AS id, count(*)::int AS count, sum(rating)::int AS sum FROM reviews GROUP BY purchasable_id ORDER BY 1',
    ),
  }));
}
