import { reviewsSeed, type SeedPlan } from '@storefront/seed-world';
import { startCatalogWorld, type CatalogWorld } from './test-workers.ts';

/*
 * A fresh seed ranks like the live store: catalog's rating columns hold the seeded reviews (which reviews'
 * seed inserts without publishing events), so TOP_RATED lists rated products by their mean rating first and
 * unrated ones after, instead of every product tied at 0.
 */

const PLAN: SeedPlan = { users: 40, categories: 3, products: 120, warehouses: 1, orders: 60, wishlistItemsPerUser: 0 };

let world: CatalogWorld;
beforeAll(async () => {
  world = await startCatalogWorld(PLAN);
});
afterAll(() => world?.close());

type Node = { id: string; ratingAverage?: number };
type Page = { edges: Array<{ node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

async function topRated(): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  do {
    const { body }: { body: { data?: { products: Page } | null } } = await world.catalog.query<{ products: Page }>(
      'query ($after: String) { products(first: 15, after: $after, orderBy: TOP_RATED) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    const page: Page = body.data!.products;
    ids.push(...page.edges.map((edge) => edge.node.id));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return ids;
}

it('ranks the seeded products by their seeded reviews, unrated ones last', async () => {
  const totals = new Map<string, { count: number; sum: number }>();
  for (const review of reviewsSeed(PLAN).reviews) {
    const total = totals.get(review.purchasableId) ?? { count: 0, sum: 0 };
    totals.set(review.purchasableId, { count: total.count + 1, sum: total.sum + review.rating });
  }
  const ids = await topRated();
  expect(ids).toHaveLength(PLAN.products);
  const rated = ids.filter((id) => totals.has(id));
  // The seed world reviews some products and not others: both kinds are there to be ordered.
  expect(rated.length).toBeGreaterThan(3);
  expect(rated.length).toBeLessThan(PLAN.products);
  // Every rated product comes before every unrated one…
  expect(ids.slice(0, rated.length)).toEqual(rated);
  // …in descending mean rating, as reviews would show it.
  const averages = rated.map((id) => totals.get(id)!.sum / totals.get(id)!.count);
  expect(averages).toEqual([...averages].sort((a, b) => b - a));
});
