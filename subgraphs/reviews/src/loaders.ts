import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import DataLoader from 'dataloader';
import type { PrismaClient } from './database.ts';
import { recordedPurchases } from './purchases.ts';
import { ratingSummariesByIds } from './rating-summaries.ts';
import { reviewPagesByAuthor, reviewPagesByPurchasable, reviewsByIds } from './reviews.ts';

/**
 * Per-request batching over the reviews database: every lookup a GraphQL request makes in one tick becomes
 * one SQL statement. Created fresh for each request so nothing is cached across users.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    reviewById: uniqueLoader((ids: readonly string[]) => reviewsByIds(prisma, ids), (review) => review.id),
    reviewsOfPurchasable: pagedRelationLoader(reviewPagesByPurchasable.bind(null, prisma)),
    reviewsOfAuthor: pagedRelationLoader(reviewPagesByAuthor.bind(null, prisma)),
    ratingSummary: uniqueLoader((ids: readonly string[]) => ratingSummariesByIds(prisma, ids), (summary) => summary.purchasableId),
    // Keyed by purchaseKey(userId, purchasableId); answers whether that pair is a recorded purchase.
    isPurchased: new DataLoader<string, boolean>(async (keys) => {
      const found = await recordedPurchases(prisma, keys);
      return keys.map((key) => found.has(key));
    }),
  };
}

export type ReviewsLoaders = ReturnType<typeof createLoaders>;
