import { defineEvent } from '@storefront/events';
import { type CancelReason, type Order, type OrderStatus } from '../database.ts';
import { orderNumber } from '../orders.ts';

/*
 * The messages the orders saga writes to its outbox: commands to inventory and payments, and the
 * OrderStatusChanged fact every interested service hears. Built here so each carries the saga's
 * correlation id (the request that placed the order) and the same source.
 */

const SOURCE = 'orders';

interface Line {
  purchasableId: string;
  quantity: number;
}

export const reserveStock = (orderId: string, lines: readonly Line[], correlationId: string | null) =>
  defineEvent({
    type: 'StockReservationRequested',
    version: 1,
    source: SOURCE,
    aggregateId: orderId,
    correlationId,
    payload: { orderId, items: lines.map(({ purchasableId, quantity }) => ({ purchasableId, quantity })) },
  });

export const authorizePayment = (order: Pick<Order, 'id' | 'totalCents' | 'currency'>, correlationId: string | null) =>
  defineEvent({
    type: 'PaymentAuthorizationRequested',
    version: 1,
    source: SOURCE,
    aggregateId: order.id,
    correlationId,
    payload: { orderId: order.id, amount: { amount: order.totalCents, currency: order.currency } },
  });

export const commitStock = (orderId: string, correlationId: string | null) =>
  defineEvent({ type: 'StockCommitRequested', version: 1, source: SOURCE, aggregateId: orderId, correlationId, payload: { orderId } });

export const capturePayment = (orderId: string, correlationId: string | null) =>
  defineEvent({ type: 'PaymentCaptureRequested', version: 1, source: SOURCE, aggregateId: orderId, correlationId, payload: { orderId } });

export const releaseStock = (orderId: string, reason: CancelReason, correlationId: string | null) =>
  defineEvent({ type: 'StockReleaseRequested', version: 1, source: SOURCE, aggregateId: orderId, correlationId, payload: { orderId, reason } });

export const voidPayment = (orderId: string, reason: CancelReason, correlationId: string | null) =>
  defineEvent({ type: 'PaymentVoidRequested', version: 1, source: SOURCE, aggregateId: orderId, correlationId, payload: { orderId, reason } });

export const orderStatusChanged = (
  order: Pick<Order, 'id' | 'userId' | 'seq' | 'totalCents' | 'currency'>,
  from: OrderStatus,
  to: OrderStatus,
  reason: CancelReason | null,
  correlationId: string | null,
  lines: readonly Line[],
) =>
  defineEvent({
    type: 'OrderStatusChanged',
    version: 1,
    source: SOURCE,
    aggregateId: order.id,
    correlationId,
    payload: {
      orderId: order.id,
      userId: order.userId,
      from,
      to,
      reason,
      orderNumber: orderNumber(order.seq),
      total: { amount: order.totalCents, currency: order.currency },
      items: lines.map(({ purchasableId, quantity }) => ({ purchasableId, quantity })),
    },
  });
