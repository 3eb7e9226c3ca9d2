import { z } from 'zod';
import type { InputError, Page } from '@storefront/api-conventions';
import type { Shortage } from './allocation.ts';
import type { PrismaClient, Reservation, ReservationItem, ReservationStatus } from './database.ts';

/**
 * What reserveStock, releaseReservation and commitReservation answer. `shortages` (reserveStock refusing for
 * lack of stock) says per requested item what all warehouses have, for the saga's StockReservationFailed.
 */
export type ReservationPayload = { reservation: Reservation | null; errors: InputError[]; shortages?: Shortage[] };

/**
 * The status clients see. A HELD reservation past its expiry no longer holds anything in the business sense,
 * even before the expiry sweep has given its units back, so it reads as EXPIRED.
 */
export function effectiveStatus(reservation: Pick<Reservation, 'status' | 'expiresAt'>, now: Date = new Date()): ReservationStatus {
  return reservation.status === 'HELD' && isLapsed(reservation, now) ? 'EXPIRED' : reservation.status;
}

export const isLapsed = (reservation: Pick<Reservation, 'expiresAt'>, now: Date): boolean =>
  reservation.expiresAt.getTime() <= now.getTime();

export function reservationsByOrderIds(prisma: PrismaClient, orderIds: readonly string[]): Promise<Reservation[]> {
  return prisma.reservation.findMany({ where: { orderId: { in: [...orderIds] } } });
}

/** A reservation's items are listed by (productId, warehouseId), unique within the reservation. */
export const itemPosition = z.object({ productId: z.uuid(), warehouseId: z.uuid() });
export type ItemPosition = z.infer<typeof itemPosition>;

export const itemPositionOf = (item: ReservationItem): ItemPosition => ({ productId: item.productId, warehouseId: item.warehouseId });

/** The same page of items for many reservations in one statement (Prisma turns the nested `take` into a lateral join). */
export async function itemPagesByReservation(
  prisma: PrismaClient,
  reservationIds: readonly string[],
  page: Page<ItemPosition>,
): Promise<Map<string, ReservationItem[]>> {
  const after = page.after;
  const reservations = await prisma.reservation.findMany({
    where: { id: { in: [...reservationIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      items: {
        where: after
          ? { OR: [{ productId: { gt: after.productId } }, { productId: after.productId, warehouseId: { gt: after.warehouseId } }] }
          : {},
        orderBy: [{ productId: 'asc' }, { warehouseId: 'asc' }],
        take: page.first + 1,
      },
    },
  });
  return new Map(reservations.map((reservation) => [reservation.id, reservation.items]));
}
