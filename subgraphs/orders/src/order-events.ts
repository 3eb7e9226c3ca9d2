import { defineEvent } from '@storefront/events';
import type { Order } from './database.ts';

interface PricedLine {
  purchasableId: string;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

/**
 * OrderPlaced v1 for a just-created order: what inventory needs to reserve stock and payments to know the
 * amount, so neither has to call back. Written to the outbox in the transaction that creates the order.
 */
export function orderPlacedEvent(order: Order, lines: readonly PricedLine[], correlationId: string | null) {
  return defineEvent({
    type: 'OrderPlaced',
    version: 1,
    source: 'orders',
    aggregateId: order.id,
    correlationId,
    occurredAt: order.placedAt,
    payload: {
      orderId: order.id,
      userId: order.userId,
      items: lines.map((line) => ({
        purchasableId: line.purchasableId,
        quantity: line.quantity,
        unitPrice: { amount: line.unitPriceCents, currency: line.currency },
      })),
      total: { amount: order.totalCents, currency: order.currency },
    },
  });
}
