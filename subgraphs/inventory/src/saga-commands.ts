import { InputErrorCode, type InputError } from '@storefront/api-conventions';
import { defineEvent, type DomainEvent, writeAllToOutbox, writeToOutbox } from '@storefront/events';
import { UnrecoverableError } from 'bullmq';
import { type Prisma, type PrismaClient } from './database.ts';
import { expireReservations } from './reservation-transitions.ts';
import { type ReservationPayload } from './reservations.ts';
import { reserveStock } from './reserve-stock.ts';

/*
 * inventory's side of the checkout saga: the commands orders sends are applied with the idempotent reservation
 * functions first (the order id is their key, so a redelivered command changes nothing twice; see
 * effectFirst in packages/events), then answered by a reply event written to inventory's outbox in the
 * consumer's transaction, together with the record that the command was handled.
 */

type Tx = Prisma.TransactionClient;
const SOURCE = 'inventory';

export interface InventorySagaSettings {
  /** How long a reservation holds stock unless the order is paid. */
  reservationTtlSeconds: number;
}

/** A refusal retrying cannot change (a malformed command, an order id reused with other items). */
function unrecoverable(errors: readonly InputError[]): never {
  throw new UnrecoverableError(errors.map((error) => `${error.path.join('.')}: ${error.message}`).join('; '));
}

export function reserveForOrder(prisma: PrismaClient, event: DomainEvent<'StockReservationRequested'>, settings: InventorySagaSettings): Promise<ReservationPayload> {
  const { orderId, items } = event.payload;
  return reserveStock(prisma, {
    orderId,
    items: items.map((item) => ({ productId: item.purchasableId, quantity: item.quantity })),
    ttlSeconds: settings.reservationTtlSeconds,
  });
}

export async function replyToReservation(tx: Tx, event: DomainEvent<'StockReservationRequested'>, result: ReservationPayload): Promise<void> {
  const { orderId, items } = event.payload;
  const reply = { source: SOURCE, aggregateId: orderId, correlationId: event.correlationId, version: 1 } as const;
  if (result.reservation) {
    // A reservation released or expired before this (late) command was handled holds nothing to report.
    if (result.reservation.status !== 'HELD' && result.reservation.status !== 'COMMITTED') return;
    const held = await tx.reservationItem.findMany({ where: { reservationId: result.reservation.id }, orderBy: [{ productId: 'asc' }, { warehouseId: 'asc' }] });
    await writeToOutbox(
      tx,
      defineEvent({
        ...reply,
        type: 'StockReserved',
        payload: {
          orderId,
          expiresAt: result.reservation.expiresAt.toISOString(),
          items: held.map((item) => ({ purchasableId: item.productId, warehouseId: item.warehouseId, quantity: item.quantity })),
        },
      }),
    );
    return;
  }
  const shortages = result.shortages ?? [];
  if (shortages.length === 0) unrecoverable(result.errors);
  await writeToOutbox(
    tx,
    defineEvent({
      ...reply,
      type: 'StockReservationFailed',
      payload: {
        orderId,
        reason: 'OUT_OF_STOCK',
        items: shortages.flatMap(({ index, available }) => {
          const item = items[index];
          return item ? [{ purchasableId: item.purchasableId, requested: item.quantity, available }] : [];
        }),
      },
    }),
  );
}

export async function replyToCommit(tx: Tx, event: DomainEvent<'StockCommitRequested'>, result: ReservationPayload): Promise<void> {
  const { orderId } = event.payload;
  const reply = { source: SOURCE, aggregateId: orderId, correlationId: event.correlationId, version: 1 } as const;
  if (result.reservation?.status === 'COMMITTED') {
    await writeToOutbox(tx, defineEvent({ ...reply, type: 'StockCommitted', payload: { orderId } }));
    return;
  }
  const missing = result.errors.some((error) => error.code === InputErrorCode.NOT_FOUND);
  await writeToOutbox(tx, defineEvent({ ...reply, type: 'StockCommitFailed', payload: { orderId, reason: missing ? 'NO_RESERVATION' : 'RESERVATION_EXPIRED' } }));
}

export async function replyToRelease(tx: Tx, event: DomainEvent<'StockReleaseRequested'>, result: ReservationPayload): Promise<void> {
  const { orderId } = event.payload;
  // No reservation (never made, or not yet: a late one is released when its StockReserved reaches the saga)
  // and already released or expired all mean nothing is held any more. A committed one cannot be released.
  const committed = result.errors.some((error) => error.code === InputErrorCode.INVALID_STATE);
  if (committed) unrecoverable(result.errors);
  await writeToOutbox(tx, defineEvent({ source: SOURCE, aggregateId: orderId, correlationId: event.correlationId, version: 1, type: 'StockReleased', payload: { orderId } }));
}

/** The expiry sweep, announcing each expired reservation to the saga in the transaction that expired it. */
export function expireAndAnnounce(prisma: PrismaClient, now: Date = new Date()): Promise<number> {
  return expireReservations(prisma, now, 500, async (tx, reservationIds) => {
    const expired = await tx.reservation.findMany({ where: { id: { in: reservationIds } }, select: { orderId: true } });
    await writeAllToOutbox(
      tx,
      expired.map(({ orderId }) =>
        defineEvent({ type: 'StockReservationExpired', version: 1, source: SOURCE, aggregateId: orderId, correlationId: null, payload: { orderId } }),
      ),
    );
  });
}
