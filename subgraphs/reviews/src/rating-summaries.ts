import type { Prisma, PrismaClient, RatingSummary } from './database.ts';

/** Summaries of many purchasables in one statement; a purchasable nobody reviewed has none. */
export function ratingSummariesByIds(prisma: PrismaClient, purchasableIds: readonly string[]): Promise<RatingSummary[]> {
  return prisma.ratingSummary.findMany({ where: { purchasableId: { in: [...purchasableIds] } } });
}

/** The mean rating, or null before the first review (a summary can fall back to zero reviews after deletes). */
export function averageRating(summary: RatingSummary | null): number | null {
  return summary && summary.reviewCount > 0 ? summary.ratingSum / summary.reviewCount : null;
}

/**
 * Counts a new review in its purchasable's summary. Call inside the transaction that inserts the review; the
 * upsert adds to the stored values in place, so concurrent reviews of one purchasable never lose a count.
 */
export async function addToSummary(tx: Prisma.TransactionClient, purchasableId: string, rating: number): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO rating_summaries (purchasable_id, review_count, rating_sum) VALUES (${purchasableId}::uuid, 1, ${rating})
    ON CONFLICT (purchasable_id) DO UPDATE
      SET review_count = rating_summaries.review_count + 1, rating_sum = rating_summaries.rating_sum + EXCLUDED.rating_sum`;
}

/** Takes a deleted review out of its purchasable's summary; call inside the transaction that deletes it. */
export async function removeFromSummary(tx: Prisma.TransactionClient, purchasableId: string, rating: number): Promise<void> {
  await tx.$executeRaw`
    UPDATE rating_summaries SET review_count = review_count - 1, rating_sum = rating_sum - ${rating}
    WHERE purchasable_id = ${purchasableId}::uuid`;
}
