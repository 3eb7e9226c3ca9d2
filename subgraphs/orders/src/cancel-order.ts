import { inputError, InputErrorCode, type InputError } from '@storefront/common';
import { CancelReason, OrderStatus, type Order, type PrismaClient } from './database.ts';
import { canTransition, transitionOrder } from './order-status.ts';

export interface OrderPayload {
  order: Order | null;
  errors: InputError[];
}

/** Statuses only move forward, so a cancellation can lose a race at most this often before the answer is final. */
const MAX_ATTEMPTS = 3;

/**
 * Cancels `order` (already authorized by the caller) at the customer's request, if it is not paid yet. Each
 * attempt is conditional on the status last read; when the saga moves the order first, the attempt matches
 * nothing and the fresh status decides (a RESERVED order may still be cancelled, a PAID one not).
 */
export async function cancelOrder(prisma: PrismaClient, order: Order): Promise<OrderPayload> {
  let current: Order | null = order;
  for (let attempt = 0; current && attempt < MAX_ATTEMPTS; attempt += 1) {
    if (!canTransition(current.status, OrderStatus.CANCELLED)) {
      return {
        order: null,
        errors: [inputError(['id'], InputErrorCode.INVALID_STATE, `A ${current.status.toLowerCase()} order cannot be cancelled`)],
      };
    }
    const result = await transitionOrder(prisma, current.id, {
      from: current.status,
      to: OrderStatus.CANCELLED,
      reason: CancelReason.CUSTOMER_REQUEST,
    });
    if (result.ok) return { order: result.order, errors: [] };
    current = await prisma.order.findUnique({ where: { id: current.id } });
  }
  return current
    ? { order: null, errors: [inputError(['id'], InputErrorCode.INVALID_STATE, 'The order is changing right now; try again')] }
    : { order: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such order')] };
}
