import { inputError, InputErrorCode, type InputError } from '@storefront/common';
import { writeToOutbox } from '@storefront/events';
import { CancelReason, type Order, OrderStatus, type PrismaClient, TRANSACTION_OPTIONS } from './database.ts';
import { canTransition, transitionOrder } from './order-status.ts';
import { compensate, customerMayCancel, lockSaga } from './saga/order-saga.ts';
import { orderStatusChanged } from './saga/saga-messages.ts';

export interface OrderPayload {
  order: Order | null;
  errors: InputError[];
}

const refused = (code: InputErrorCode, message: string): OrderPayload => ({ order: null, errors: [inputError(['id'], code, message)] });

/**
 * Cancels `order` (already authorized by the caller) at the customer's request, while it is not paid and its
 * payment is not being taken. The saga row is locked first, as every saga step does, so a cancellation and a
 * saga step of one order never interleave: the cancellation either comes first (and the saga compensates
 * whatever it had obtained: releases stock, voids the authorization) or sees the order as the step left it.
 */
export async function cancelOrder(prisma: PrismaClient, order: Order, correlationId: string | null = null): Promise<OrderPayload> {
  return prisma.$transaction(async (tx) => {
    const saga = await lockSaga(tx, order.id);
    const current = saga?.order ?? (await tx.order.findUnique({ where: { id: order.id } }));
    if (!current) return refused(InputErrorCode.NOT_FOUND, 'No such order');
    if (!canTransition(current.status, OrderStatus.CANCELLED) || !customerMayCancel(saga)) {
      const state = customerMayCancel(saga) ? current.status.toLowerCase() : 'paying';
      return refused(InputErrorCode.INVALID_STATE, `A ${state} order cannot be cancelled`);
    }
    const now = new Date();
    if (saga) return { order: await compensate(tx, saga, CancelReason.CUSTOMER_REQUEST, correlationId, now), errors: [] };
    // Orders without a saga (seeded history) only change status.
    const result = await transitionOrder(tx, current.id, { from: current.status, to: OrderStatus.CANCELLED, reason: CancelReason.CUSTOMER_REQUEST }, now);
    if (!result.ok) return refused(InputErrorCode.INVALID_STATE, 'The order is changing right now; try again');
    await writeToOutbox(tx, orderStatusChanged(result.order, current.status, OrderStatus.CANCELLED, CancelReason.CUSTOMER_REQUEST, correlationId));
    return { order: result.order, errors: [] };
  }, TRANSACTION_OPTIONS);
}
