import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedOrders, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';

/** Small enough to seed in well under a second, big enough for 50-entity batches and several pages. */
export const TEST_PLAN: SeedPlan = { users: 60, categories: 4, products: 60, warehouses: 2, orders: 300, wishlistItemsPerUser: 2 };

export const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
export const customer = (index: number): Viewer => viewerWithRoles(nameBasedUuid(SeedNamespace.user, index), ['CUSTOMER']);

export const productId = (index: number) => nameBasedUuid(SeedNamespace.product, index);
export const giftCardId = (index: number) => nameBasedUuid(SeedNamespace.giftCard, index);

/** The orders subgraph on a fresh database seeded with TEST_PLAN. */
export function startOrders(): Promise<TestSubgraph> {
  return startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, TEST_PLAN);
}

/** The seed world's orders of TEST_PLAN (what the database holds after seeding). */
export const seededOrders: readonly SeedOrder[] = [...seedOrders(TEST_PLAN)];

/** Seeded orders of one user, newest first (the API's order). */
export function seededOrdersOf(userIndex: number): SeedOrder[] {
  return seededOrders
    .filter((order) => order.userIndex === userIndex)
    .sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime() || (a.id < b.id ? 1 : -1));
}

export interface Edges<Node> {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

/** The `extensions.code` of each error, for asserting on authorization and bad input. */
export const errorCodes = (response: GraphQLResponse) => (response.body.errors ?? []).map((error) => error.extensions?.code);
