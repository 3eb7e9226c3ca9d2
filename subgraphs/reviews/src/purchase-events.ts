import type { DomainEvent, EventHandlers, EventLogger } from '@storefront/events';
import type { Prisma } from './database.ts';

/** The consumer group whose queue (events.reviews) brings reviews what other services announce. */
export const REVIEWS_CONSUMER = 'reviews';

/**
 * Records the purchases of an order that turned PAID: one (user, purchasable) row each, the verified purchase
 * writeReview asks for. A purchase already known keeps its row unless this order is the earlier one (events of
 * two orders may arrive in either order), so `first_order_id` is the first paid order whatever the delivery.
 * Returns how many purchases were new or moved to an earlier order.
 */
export async function recordPaidOrder(tx: Prisma.TransactionClient, event: DomainEvent<'OrderStatusChanged'>, logger: EventLogger): Promise<number> {
  const { orderId, userId, to, items } = event.payload;
  if (to !== 'PAID') return 0;
  if (!items) {
    // Written before OrderStatusChanged carried its lines: what was bought cannot be known here.
    logger.warn({ eventId: event.id, orderId }, 'OrderStatusChanged to PAID without items: no purchases recorded');
    return 0;
  }
  const purchasableIds = items.map((item) => item.purchasableId);
  return tx.$executeRaw`
    INSERT INTO purchases (user_id, purchasable_id, first_order_id, purchased_at)
    SELECT ${userId}::uuid, bought, ${orderId}::uuid, ${event.occurredAt}::timestamptz
    FROM unnest(${purchasableIds}::uuid[]) AS bought
    ON CONFLICT (user_id, purchasable_id) DO UPDATE
      SET first_order_id = EXCLUDED.first_order_id, purchased_at = EXCLUDED.purchased_at
      WHERE purchases.purchased_at > EXCLUDED.purchased_at`;
}

/**
 * Remembers a new user's display name, under which their reviews appear. The seed may have named the user
 * already; the name accounts announces wins.
 */
export async function recordAuthor(tx: Prisma.TransactionClient, event: DomainEvent<'UserRegistered'>): Promise<void> {
  const { userId, name } = event.payload;
  await tx.author.upsert({ where: { userId }, create: { userId, displayName: name }, update: { displayName: name, updatedAt: new Date() } });
}

export function reviewsEventHandlers(logger: EventLogger): EventHandlers<Prisma.TransactionClient> {
  return {
    OrderStatusChanged: async (event, tx) => {
      await recordPaidOrder(tx, event, logger);
    },
    UserRegistered: async (event, tx) => {
      await recordAuthor(tx, event);
    },
  };
}
