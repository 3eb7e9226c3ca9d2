import type { DomainEvent, EventLogger } from '@storefront/events';
import type { Prisma } from './database.ts';

/**
 * Counts a published review in its product's rating columns. Runs in the consumer's transaction (the one that
 * records the event in processed_events), so a redelivered event is skipped before it gets here and the
 * count changes exactly once per review. The increment happens in SQL, so concurrent events of one product
 * never lose a count.
 *
 * Reviews rates every purchasable; an id that is no product here (a gift card, or a product since removed)
 * changes nothing, and the event is still recorded as handled: retrying could not make it a product.
 */
export async function applyReviewPublished(
  tx: Prisma.TransactionClient,
  event: DomainEvent<'ReviewPublished', 1>,
  logger?: EventLogger,
): Promise<boolean> {
  const { productId, rating } = event.payload;
  const updated = await tx.$executeRaw`
    UPDATE products
    SET rating_count = rating_count + 1,
        rating_sum = rating_sum + ${rating},
        rating_average = (rating_sum + ${rating})::float8 / (rating_count + 1)
    WHERE id = ${productId}::uuid`;
  if (updated === 0) logger?.info({ eventId: event.id, purchasableId: productId }, 'review of no catalog product, ignored');
  return updated > 0;
}
