import { inputError, InputErrorCode, isUuid, type InputError } from '@storefront/api-conventions';
import { TRANSACTION_OPTIONS, type Prisma, type PrismaClient, type Reservation } from './database.ts';
import { isLapsed, type ReservationPayload } from './reservations.ts';
import { commitHold, lockLapsedHolds, releaseHolds } from './stock-holds.ts';

/*
 * A reservation's life: HELD → RELEASED (order cancelled, payment failed), HELD → COMMITTED (order shipped),
 * HELD → EXPIRED (nobody settled it in time). Each transition runs with the reservation row locked, so two
 * concurrent calls cannot both move the same units; repeating a transition that already happened answers with
 * the reservation as it is (the saga retries).
 */

/**
 * Locks an order's reservation and, if it is HELD past its expiry, expires it first (its units go back), so
 * every transition sees the reservation's real state. Null when the order has no reservation.
 */
export async function settleLockedReservation(tx: Prisma.TransactionClient, orderId: string, now: Date): Promise<Reservation | null> {
  const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM reservations WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  if (!locked) return null;
  const reservation = await tx.reservation.findUniqueOrThrow({ where: { id: locked.id } });
  if (reservation.status !== 'HELD' || !isLapsed(reservation, now)) return reservation;
  await releaseHolds(tx, [reservation.id], 'EXPIRED');
  return { ...reservation, status: 'EXPIRED' };
}

type Transition = (tx: Prisma.TransactionClient, reservation: Reservation) => Promise<ReservationPayload>;

const refuse = (message: string): ReservationPayload => ({
  reservation: null,
  errors: [inputError(['orderId'], InputErrorCode.INVALID_STATE, message)],
});

async function transition(prisma: PrismaClient, orderId: string, now: Date, apply: Transition): Promise<ReservationPayload> {
  if (!isUuid(orderId)) return { reservation: null, errors: [invalidOrderId] };
  // Errors are returned, not thrown, so an expiry discovered on the way is committed either way.
  return prisma.$transaction(async (tx) => {
    const reservation = await settleLockedReservation(tx, orderId, now);
    if (!reservation) return { reservation: null, errors: [inputError(['orderId'], InputErrorCode.NOT_FOUND, 'This order has no reservation')] };
    return apply(tx, reservation);
  }, TRANSACTION_OPTIONS);
}

const invalidOrderId: InputError = inputError(['orderId'], InputErrorCode.INVALID, 'orderId is not a valid id');

/** Gives the units back. Released or expired already: nothing to do. Committed: the units have shipped. */
export function releaseReservation(prisma: PrismaClient, orderId: string, now: Date = new Date()): Promise<ReservationPayload> {
  return transition(prisma, orderId, now, async (tx, reservation) => {
    switch (reservation.status) {
      case 'HELD':
        await releaseHolds(tx, [reservation.id], 'RELEASED');
        return { reservation: { ...reservation, status: 'RELEASED' }, errors: [] };
      case 'RELEASED':
      case 'EXPIRED':
        return { reservation, errors: [] };
      case 'COMMITTED':
        return refuse('The reservation was committed; its units have left the warehouse');
    }
  });
}

/** Ships the units. Committed already: nothing to do. Released or expired (even just now): too late. */
export function commitReservation(prisma: PrismaClient, orderId: string, now: Date = new Date()): Promise<ReservationPayload> {
  return transition(prisma, orderId, now, async (tx, reservation) => {
    switch (reservation.status) {
      case 'HELD':
        await commitHold(tx, reservation.id);
        return { reservation: { ...reservation, status: 'COMMITTED' }, errors: [] };
      case 'COMMITTED':
        return { reservation, errors: [] };
      case 'RELEASED':
        return refuse('The reservation was released');
      case 'EXPIRED':
        return refuse(`The reservation expired at ${reservation.expiresAt.toISOString()}`);
    }
  });
}

/**
 * Expires every HELD reservation whose `expiresAt` is at or before `now`, giving its units back; returns how
 * many it expired. Meant for a periodic worker: it works in batches of `batchSize` (one short transaction
 * each) and skips reservations another transaction is settling at that moment (they are settled anyway).
 */
export async function expireReservations(
  prisma: PrismaClient,
  now: Date = new Date(),
  batchSize = 500,
  /** Runs in each batch's transaction with the reservations it expired (the workers announce them). */
  onExpired?: (tx: Prisma.TransactionClient, reservationIds: string[]) => Promise<void>,
): Promise<number> {
  let expired = 0;
  for (;;) {
    const batch = await prisma.$transaction(async (tx) => {
      const ids = await lockLapsedHolds(tx, now, null, batchSize);
      await releaseHolds(tx, ids, 'EXPIRED');
      if (ids.length && onExpired) await onExpired(tx, ids);
      return ids.length;
    }, TRANSACTION_OPTIONS);
    expired += batch;
    if (batch < batchSize) return expired;
  }
}
