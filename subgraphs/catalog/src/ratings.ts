import type { DomainEvent, EventLogger } from '@storefront/events';
import type { Prisma } from './database.ts';

type ReviewEvent = DomainEvent<'ReviewPublished', 1> | DomainEvent<'ReviewDeleted', 1>;

/*
 * Each product's rating columns, kept from reviews' events by the catalog-ratings consumer. Both handlers run in
 * the consumer's transaction (the one that records the event in processed_events), so a redelivered event is
 * skipped before it gets here. review_ratings remembers every review heard of, which makes the figures right
 * whatever order a review's publication and removal are processed in (one queue, several workers): a
 * publication counts only if its row is new, a removal takes back only a row that counted, and a removal seen
 * first leaves a row that keeps the late publication out. Both steps are one statement each, so concurrent
 * events of one review serialise on its row, and the increments happen in SQL, so concurrent events of one
 * product never lose a count.
 *
 * Reviews rates every purchasable; an id that is no product here (a gift card, or a product since removed)
 * changes no figures, and the event is still recorded as handled: retrying could not make it a product.
 */

/** Counts a published review in its product's rating columns; false when no product's figures changed. */
export async function applyReviewPublished(tx: Prisma.TransactionClient, event: DomainEvent<'ReviewPublished', 1>, logger?: EventLogger): Promise<boolean> {
  const { reviewId, productId, rating } = event.payload;
  const updated = await tx.$executeRaw`
    WITH heard AS (
      INSERT INTO review_ratings (review_id, product_id, rating, counted)
      VALUES (${reviewId}::uuid, ${productId}::uuid, ${rating}, true)
      ON CONFLICT (review_id) DO NOTHING
      RETURNING product_id, rating
    )
    UPDATE products
    SET rating_count = rating_count + 1,
        rating_sum = rating_sum + heard.rating,
        rating_average = (rating_sum + heard.rating)::float8 / (rating_count + 1)
    FROM heard
    WHERE products.id = heard.product_id`;
  if (updated === 0) logIgnored(logger, event, 'review publication changed no product figures (no such product, or removed already)');
  return updated > 0;
}

/** Takes a removed review out of its product's rating columns; false when it had not been counted. */
export async function applyReviewDeleted(tx: Prisma.TransactionClient, event: DomainEvent<'ReviewDeleted', 1>, logger?: EventLogger): Promise<boolean> {
  const { reviewId, productId, rating } = event.payload;
  // A new row is a tombstone (counted = false). An existing one is marked removed once, and RETURNING gives
  // back its own `counted`: only a publication that was applied is taken back.
  const updated = await tx.$executeRaw`
    WITH removed AS (
      INSERT INTO review_ratings (review_id, product_id, rating, counted, removed_at)
      VALUES (${reviewId}::uuid, ${productId}::uuid, ${rating}, false, now())
      ON CONFLICT (review_id) DO UPDATE SET removed_at = EXCLUDED.removed_at WHERE review_ratings.removed_at IS NULL
      RETURNING product_id, rating, counted
    )
    UPDATE products
    SET rating_count = rating_count - 1,
        rating_sum = rating_sum - removed.rating,
        rating_average = CASE WHEN rating_count = 1 THEN 0 ELSE (rating_sum - removed.rating)::float8 / (rating_count - 1) END
    FROM removed
    WHERE removed.counted AND products.id = removed.product_id`;
  if (updated === 0) logIgnored(logger, event, 'review removal changed no product figures (not counted yet, or no such product)');
  return updated > 0;
}

function logIgnored(logger: EventLogger | undefined, event: ReviewEvent, message: string) {
  logger?.info({ eventId: event.id, reviewId: event.payload.reviewId, purchasableId: event.payload.productId }, message);
}
