/**
 * How much demo data `npm run seed` creates. Every subgraph seeds its own database from the same plan and
 * derives other services' ids with nameBasedUuid, so the data joins up across the supergraph.
 */
export interface SeedPlan {
  users: number;
  categories: number;
  products: number;
  wishlistItemsPerUser: number;
}

export const SEED_PLANS = {
  /** Enough to click around; fast enough for tests. */
  demo: { users: 200, categories: 12, products: 1_000, wishlistItemsPerUser: 5 },
  /** Benchmark-sized. */
  full: { users: 2_000, categories: 40, products: 10_000, wishlistItemsPerUser: 8 },
} as const satisfies Record<string, SeedPlan>;

export type SeedScale = keyof typeof SEED_PLANS;

/** Seed ids: the same index gives the same id in every service and every run. */
export const SeedNamespace = {
  user: 'user',
  category: 'category',
  product: 'product',
} as const;

/** A small deterministic PRNG (mulberry32) so seeded data is identical on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
