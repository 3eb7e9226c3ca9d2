import { type CancelReason, type Db, type Order, OrderStatus, type Prisma, type PrismaClient, TRANSACTION_OPTIONS } from './database.ts';

/**
 * The order life cycle: PENDING → RESERVED → PAID → FULFILLED, or CANCELLED from PENDING or RESERVED. Paid
 * orders are never cancelled here: undoing a payment is a refund, which payments owns.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: [OrderStatus.RESERVED, OrderStatus.CANCELLED],
  RESERVED: [OrderStatus.PAID, OrderStatus.CANCELLED],
  PAID: [OrderStatus.FULFILLED],
  FULFILLED: [],
  CANCELLED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** One move of the state machine. Only a cancellation carries a reason, and it must. */
export type OrderTransition =
  | { from: OrderStatus; to: Exclude<OrderStatus, 'CANCELLED'>; reason?: undefined }
  | { from: OrderStatus; to: 'CANCELLED'; reason: CancelReason };

export type TransitionResult =
  | { ok: true; order: Order }
  /**
   * FORBIDDEN: the state machine has no such move. STALE: the order is not (or no longer) in `from` — another
   * transition won the race, or there is no such order; nothing was written.
   */
  | { ok: false; failure: 'FORBIDDEN' | 'STALE' };

/**
 * Moves an order from `from` to `to` and records the move in its history, atomically. The UPDATE only matches
 * while the order is still in `from`, so of two concurrent transitions of one order exactly one wins (the
 * other's UPDATE waits for the row lock, then matches nothing). Pass a transaction client to make the move part
 * of a larger unit of work (the saga does); given the plain client, it opens its own transaction.
 */
export async function transitionOrder(
  db: Db,
  orderId: string,
  transition: OrderTransition,
  at: Date = new Date(),
): Promise<TransitionResult> {
  if (!canTransition(transition.from, transition.to)) return { ok: false, failure: 'FORBIDDEN' };
  // Prisma 7's transaction clients have $transaction too (nested, as savepoints); only the root client has $disconnect.
  if ('$disconnect' in db) return (db as PrismaClient).$transaction((tx) => applyTransition(tx, orderId, transition, at), TRANSACTION_OPTIONS);
  return applyTransition(db as Prisma.TransactionClient, orderId, transition, at);
}

async function applyTransition(
  tx: Prisma.TransactionClient,
  orderId: string,
  { from, to, reason }: OrderTransition,
  at: Date,
): Promise<TransitionResult> {
  const [order] = await tx.order.updateManyAndReturn({
    where: { id: orderId, status: from },
    data: { status: to, cancelReason: reason ?? null, updatedAt: at },
  });
  if (!order) return { ok: false, failure: 'STALE' };
  await tx.orderStatusChange.create({ data: { orderId, fromStatus: from, toStatus: to, reason: reason ?? null, changedAt: at } });
  return { ok: true, order };
}

/** The forward life cycle, in order. */
const LIFE_CYCLE: readonly OrderStatus[] = [OrderStatus.PENDING, OrderStatus.RESERVED, OrderStatus.PAID, OrderStatus.FULFILLED];

/**
 * The transitions that lead from placement (PENDING) to `status`, in order: what the history of such an order
 * holds. A cancelled order's path depends on the status it was cancelled from.
 */
export function pathTo(status: OrderStatus, cancelledFrom: OrderStatus = OrderStatus.PENDING): Array<[OrderStatus, OrderStatus]> {
  const cancelled = status === OrderStatus.CANCELLED;
  if (cancelled && !canTransition(cancelledFrom, OrderStatus.CANCELLED)) throw new Error(`An order cannot be cancelled from ${cancelledFrom}`);
  const lastForward = cancelled ? cancelledFrom : status;
  const steps: Array<[OrderStatus, OrderStatus]> = [];
  let previous: OrderStatus | null = null;
  for (const next of LIFE_CYCLE.slice(0, LIFE_CYCLE.indexOf(lastForward) + 1)) {
    if (previous) steps.push([previous, next]);
    previous = next;
  }
  if (cancelled) steps.push([cancelledFrom, OrderStatus.CANCELLED]);
  return steps;
}
