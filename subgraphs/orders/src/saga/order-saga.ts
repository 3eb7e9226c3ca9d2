import { writeToOutbox, type DomainEvent } from '@storefront/events';
import { UnrecoverableError } from 'bullmq';
import { CancelReason, type Order, OrderStatus, type OrderSaga, type Prisma, type PrismaClient, SagaState, TRANSACTION_OPTIONS } from '../database.ts';
import { transitionOrder } from '../order-status.ts';
import * as message from './saga-messages.ts';

/*
 * The checkout saga, orchestrated by orders (state in order_sagas, one row per order):
 *
 *   RESERVING_STOCK ──StockReserved──▶ AUTHORIZING_PAYMENT ──PaymentAuthorized──▶ COMMITTING_STOCK
 *        ──StockCommitted──▶ CAPTURING_PAYMENT ──PaymentCaptured──▶ COMPLETED (order PAID)
 *
 * A failure on the way (StockReservationFailed, PaymentDeclined, the payment deadline passing,
 * StockReservationExpired or StockCommitFailed, the customer cancelling) cancels the order at once, with the
 * reason, and moves to COMPENSATING: stock held is released and a payment possibly authorized is voided;
 * when both are confirmed the saga is COMPENSATED. A reply that arrives after compensation started (a late
 * StockReserved or PaymentAuthorized) is compensated in turn, so nothing stays held.
 *
 * Every move runs in the transaction of the event that causes it (the consumer's, which also records the
 * event as processed) with the saga row locked, and writes the next command to the outbox in that same
 * transaction: a crash anywhere either loses nothing or repeats a step whose receiver is idempotent.
 */

type Tx = Prisma.TransactionClient;
type SagaWithOrder = OrderSaga & { order: Order };

export interface SagaSettings {
  /** How long the saga waits for the payment provider's answer before it cancels with PAYMENT_TIMEOUT. */
  paymentTimeoutMs: number;
}

export const DEFAULT_SAGA_SETTINGS: SagaSettings = { paymentTimeoutMs: 60_000 };

const COMPENSATION: readonly SagaState[] = [SagaState.COMPENSATING, SagaState.COMPENSATED];

/** Starts the saga of a just-placed order, in the transaction that creates the order. */
export async function startOrderSaga(
  tx: Tx,
  order: Order,
  lines: readonly { purchasableId: string; quantity: number }[],
  correlationId: string | null,
): Promise<void> {
  await tx.orderSaga.create({ data: { orderId: order.id, state: SagaState.RESERVING_STOCK, startedAt: order.placedAt, updatedAt: order.placedAt } });
  await writeToOutbox(tx, message.reserveStock(order.id, lines, correlationId));
}

/** The saga row, locked until the transaction ends, with its order. Null for orders without a saga (seeded). */
export async function lockSaga(tx: Tx, orderId: string): Promise<SagaWithOrder | null> {
  const locked = await tx.$queryRaw<Array<{ order_id: string }>>`SELECT order_id FROM order_sagas WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  if (locked.length === 0) return null;
  return tx.orderSaga.findUnique({ where: { orderId }, include: { order: true } });
}

/**
 * Moves the order to `to` and announces it (OrderStatusChanged) in the same transaction. Callers hold the
 * saga's row lock, or the order's when it has no saga, so every writer of the status is serialised and a
 * refusal is a bug, not a race.
 */
export async function changeOrderStatus(tx: Tx, order: Order, to: OrderStatus, reason: CancelReason | null, correlationId: string | null, now: Date): Promise<Order> {
  const cancelReason = to === OrderStatus.CANCELLED ? (reason ?? CancelReason.CUSTOMER_REQUEST) : null;
  const transition = cancelReason ? { from: order.status, to: OrderStatus.CANCELLED, reason: cancelReason } : { from: order.status, to: to as Exclude<OrderStatus, 'CANCELLED'> };
  const result = await transitionOrder(tx, order.id, transition, now);
  if (!result.ok) throw new UnrecoverableError(`Order ${order.id} cannot move ${order.status} → ${to} (${result.failure})`);
  // The lines travel with every change, so a consumer (reviews, on PAID) knows what was bought without calling back.
  const lines = await tx.orderItem.findMany({ where: { orderId: order.id }, orderBy: { position: 'asc' }, select: { purchasableId: true, quantity: true } });
  await writeToOutbox(tx, message.orderStatusChanged(result.order, order.status, to, cancelReason, correlationId, lines));
  return result.order;
}

function update(tx: Tx, saga: OrderSaga, data: Prisma.OrderSagaUpdateInput, now: Date) {
  return tx.orderSaga.update({ where: { orderId: saga.orderId }, data: { ...data, updatedAt: now } });
}

/**
 * Cancels the order (if it still can be) with `reason` and asks for everything held to be given back. Called
 * under the saga lock. Returns the order as it now is.
 */
export async function compensate(tx: Tx, saga: SagaWithOrder, reason: CancelReason, correlationId: string | null, now: Date): Promise<Order> {
  let order = saga.order;
  if (order.status === OrderStatus.PENDING || order.status === OrderStatus.RESERVED) {
    order = await changeOrderStatus(tx, order, OrderStatus.CANCELLED, reason, correlationId, now);
  }
  // A reservation may exist or still be on its way unless inventory said it reserved nothing.
  const releaseStock = reason !== CancelReason.OUT_OF_STOCK;
  // An authorization may exist once it was asked for, unless the provider declined it.
  const voidPayment = saga.state !== SagaState.RESERVING_STOCK && reason !== CancelReason.PAYMENT_DECLINED;
  if (releaseStock) await writeToOutbox(tx, message.releaseStock(order.id, reason, correlationId));
  if (voidPayment) await writeToOutbox(tx, message.voidPayment(order.id, reason, correlationId));
  const awaiting = releaseStock || voidPayment;
  await update(
    tx,
    saga,
    {
      state: awaiting ? SagaState.COMPENSATING : SagaState.COMPENSATED,
      failureReason: reason,
      deadlineAt: null,
      awaitingStockRelease: releaseStock,
      awaitingPaymentVoid: voidPayment,
      finishedAt: awaiting ? null : now,
    },
    now,
  );
  return order;
}

/** A compensation's reply: when nothing more is awaited the saga is COMPENSATED. */
async function compensationDone(tx: Tx, saga: OrderSaga, done: 'stock' | 'payment', now: Date): Promise<void> {
  const awaitingStockRelease = done === 'stock' ? false : saga.awaitingStockRelease;
  const awaitingPaymentVoid = done === 'payment' ? false : saga.awaitingPaymentVoid;
  const finished = saga.state === SagaState.COMPENSATING && !awaitingStockRelease && !awaitingPaymentVoid;
  await update(
    tx,
    saga,
    { awaitingStockRelease, awaitingPaymentVoid, ...(finished ? { state: SagaState.COMPENSATED, finishedAt: now } : {}) },
    now,
  );
}

/** Something was granted after compensation began: give it back too. */
async function returnLateGrant(tx: Tx, saga: SagaWithOrder, grant: 'stock' | 'payment', correlationId: string | null, now: Date): Promise<void> {
  const reason = saga.failureReason ?? CancelReason.CUSTOMER_REQUEST;
  if (grant === 'stock') await writeToOutbox(tx, message.releaseStock(saga.orderId, reason, correlationId));
  else await writeToOutbox(tx, message.voidPayment(saga.orderId, reason, correlationId));
  await update(
    tx,
    saga,
    grant === 'stock'
      ? { state: SagaState.COMPENSATING, awaitingStockRelease: true, finishedAt: null }
      : { state: SagaState.COMPENSATING, awaitingPaymentVoid: true, finishedAt: null },
    now,
  );
}

type SagaReply = DomainEvent<
  | 'StockReserved'
  | 'StockReservationFailed'
  | 'StockCommitted'
  | 'StockCommitFailed'
  | 'StockReleased'
  | 'StockReservationExpired'
  | 'PaymentAuthorized'
  | 'PaymentDeclined'
  | 'PaymentCaptured'
  | 'PaymentVoided'
>;

/**
 * Applies one reply of inventory or payments to the saga, in the consumer's transaction. A reply the saga
 * is not waiting for (a duplicate under another event id, a reply to an abandoned step) changes nothing.
 */
export async function applySagaReply(tx: Tx, event: SagaReply, settings: SagaSettings, now: Date = new Date()): Promise<void> {
  const saga = await lockSaga(tx, event.payload.orderId);
  // The expiry sweep announces every lapsed reservation, also those of orders placed before sagas (seeded).
  if (!saga && event.type === 'StockReservationExpired') return;
  // Replies about orders this database does not know cannot become valid by retrying.
  if (!saga) throw new UnrecoverableError(`No saga for order ${event.payload.orderId}`);
  const correlationId = event.correlationId;
  const compensating = COMPENSATION.includes(saga.state);

  switch (event.type) {
    case 'StockReserved':
      if (compensating) return returnLateGrant(tx, saga, 'stock', correlationId, now);
      if (saga.state !== SagaState.RESERVING_STOCK) return;
      await changeOrderStatus(tx, saga.order, OrderStatus.RESERVED, null, correlationId, now);
      await writeToOutbox(tx, message.authorizePayment(saga.order, correlationId));
      await update(
        tx,
        saga,
        { state: SagaState.AUTHORIZING_PAYMENT, stockReserved: true, deadlineAt: new Date(now.getTime() + settings.paymentTimeoutMs) },
        now,
      );
      return;
    case 'StockReservationFailed':
      if (saga.state !== SagaState.RESERVING_STOCK) return;
      await compensate(tx, saga, CancelReason.OUT_OF_STOCK, correlationId, now);
      return;
    case 'PaymentAuthorized':
      if (compensating) return returnLateGrant(tx, saga, 'payment', correlationId, now);
      if (saga.state !== SagaState.AUTHORIZING_PAYMENT) return;
      await writeToOutbox(tx, message.commitStock(saga.orderId, correlationId));
      await update(tx, saga, { state: SagaState.COMMITTING_STOCK, paymentAuthorized: true, deadlineAt: null }, now);
      return;
    case 'PaymentDeclined':
      if (saga.state !== SagaState.AUTHORIZING_PAYMENT) return;
      await compensate(tx, saga, CancelReason.PAYMENT_DECLINED, correlationId, now);
      return;
    case 'StockReservationExpired':
      // Only matters while the payment is pending; a commit that finds it expired answers StockCommitFailed.
      if (saga.state !== SagaState.AUTHORIZING_PAYMENT) return;
      await compensate(tx, saga, CancelReason.RESERVATION_EXPIRED, correlationId, now);
      return;
    case 'StockCommitted':
      if (saga.state !== SagaState.COMMITTING_STOCK) return;
      await writeToOutbox(tx, message.capturePayment(saga.orderId, correlationId));
      await update(tx, saga, { state: SagaState.CAPTURING_PAYMENT }, now);
      return;
    case 'StockCommitFailed':
      if (saga.state !== SagaState.COMMITTING_STOCK) return;
      await compensate(tx, saga, CancelReason.RESERVATION_EXPIRED, correlationId, now);
      return;
    case 'PaymentCaptured':
      if (saga.state !== SagaState.CAPTURING_PAYMENT) return;
      await changeOrderStatus(tx, saga.order, OrderStatus.PAID, null, correlationId, now);
      await update(tx, saga, { state: SagaState.COMPLETED, finishedAt: now }, now);
      return;
    case 'StockReleased':
      if (saga.awaitingStockRelease) await compensationDone(tx, saga, 'stock', now);
      return;
    case 'PaymentVoided':
      if (saga.awaitingPaymentVoid) await compensationDone(tx, saga, 'payment', now);
      return;
  }
}

/**
 * Cancels, with PAYMENT_TIMEOUT, the sagas whose payment step passed its deadline. Run periodically (a
 * BullMQ job scheduler); SKIP LOCKED lets several workers sweep side by side and never waits on a saga that
 * an event is moving right now.
 */
export async function expireOverdueSagas(prisma: PrismaClient, now: Date = new Date(), batchSize = 100): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const overdue = await tx.$queryRaw<Array<{ order_id: string }>>`
      SELECT order_id FROM order_sagas
      WHERE state = 'AUTHORIZING_PAYMENT'::saga_state AND deadline_at <= ${now}
      ORDER BY deadline_at
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED`;
    const sagas = await tx.orderSaga.findMany({ where: { orderId: { in: overdue.map((row) => row.order_id) } }, include: { order: true } });
    for (const saga of sagas) await compensate(tx, saga, CancelReason.PAYMENT_TIMEOUT, null, now);
    return overdue.length;
  }, TRANSACTION_OPTIONS);
}

/** Whether the saga is taking the payment (stock committed or being committed): too late for the customer to cancel. */
export function isTakingPayment(saga: OrderSaga | null): boolean {
  return saga?.state === SagaState.COMMITTING_STOCK || saga?.state === SagaState.CAPTURING_PAYMENT;
}
