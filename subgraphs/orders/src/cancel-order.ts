import { inputError, InputErrorCode, type InputError } from '@storefront/api-conventions';
import { CancelReason, type Order, OrderStatus, type Prisma, type PrismaClient, TRANSACTION_OPTIONS } from './database.ts';
import { canTransition } from './order-status.ts';
import { changeOrderStatus, compensate, isTakingPayment, lockSaga } from './saga/order-saga.ts';

export interface OrderPayload {
  order: Order | null;
  errors: InputError[];
}

async function lockOrder(tx: Prisma.TransactionClient, orderId: string): Promise<Order | null> {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
  return locked.length ? tx.order.findUnique({ where: { id: orderId } }) : null;
}

const refused = (code: InputErrorCode, message: string): OrderPayload => ({ order: null, errors: [inputError(['id'], code, message)] });

/**
 * Cancels `order` (already authorized by the caller) at the customer's request, while it is not paid and its
 * payment is not being taken. The saga row is locked first, as every saga step does (the order row for orders
 * without a saga), so a cancellation and a saga step of one order never interleave: the cancellation either
 * comes first (and the saga compensates whatever it had obtained: releases stock, voids the authorization) or
 * sees the order as the step left it.
 */
export async function cancelOrder(prisma: PrismaClient, order: Order, correlationId: string | null = null): Promise<OrderPayload> {
  return prisma.$transaction(async (tx) => {
    const saga = await lockSaga(tx, order.id);
    const current = saga?.order ?? (await lockOrder(tx, order.id));
    if (!current) return refused(InputErrorCode.NOT_FOUND, 'No such order');
    if (isTakingPayment(saga)) return refused(InputErrorCode.INVALID_STATE, 'A paying order cannot be cancelled');
    if (!canTransition(current.status, OrderStatus.CANCELLED)) {
      return refused(InputErrorCode.INVALID_STATE, `A ${current.status.toLowerCase()} order cannot be cancelled`);
    }
    const now = new Date();
    if (saga) return { order: await compensate(tx, saga, CancelReason.CUSTOMER_REQUEST, correlationId, now), errors: [] };
    // Orders without a saga (seeded history) only change status.
    return { order: await changeOrderStatus(tx, current, OrderStatus.CANCELLED, CancelReason.CUSTOMER_REQUEST, correlationId, now), errors: [] };
  }, TRANSACTION_OPTIONS);
}
