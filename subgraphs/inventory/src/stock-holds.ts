import { Prisma, type ReservationStatus } from './database.ts';
import type { Allocation, AvailableStock } from './allocation.ts';

/*
 * The statements that move units between "available", "reserved" and "gone", shared by reserving, releasing,
 * committing and expiring. Deadlock freedom rests on one rule: a transaction locks all the stock rows it will
 * change in ONE statement, ordered by (product_id, warehouse_id), before changing any. Reservation rows are
 * locked before stock rows, and never waited for while stock rows are held (SKIP LOCKED), so no two
 * transactions can wait for each other in a cycle.
 */

/** Where the sums of a set of reservations' items go: which stock rows they touch, and by how much. */
const itemSums = (reservationIds: readonly string[]) => Prisma.sql`
  SELECT product_id, warehouse_id, SUM(quantity)::int AS quantity FROM reservation_items
  WHERE reservation_id = ANY(${[...reservationIds]}::uuid[])
  GROUP BY product_id, warehouse_id`;

/**
 * Locks, in the global order, the stock of `productIds` (every warehouse) and every row the given
 * reservations hold units in, and returns what is available in each.
 */
export function lockStock(
  tx: Prisma.TransactionClient,
  productIds: readonly string[],
  reservationIds: readonly string[] = [],
): Promise<AvailableStock[]> {
  // Both sources go through one semi-join (an OR of them would scan the whole table), and LockRows sits above
  // the sort, so rows are locked in key order.
  return tx.$queryRaw<AvailableStock[]>`
    SELECT s.product_id AS "productId", s.warehouse_id AS "warehouseId", s.available
    FROM stock_levels s
    WHERE (s.product_id, s.warehouse_id) IN (
      SELECT product_id, warehouse_id FROM stock_levels WHERE product_id = ANY(${[...productIds]}::uuid[])
      UNION ALL
      SELECT product_id, warehouse_id FROM reservation_items WHERE reservation_id = ANY(${[...reservationIds]}::uuid[])
    )
    ORDER BY s.product_id, s.warehouse_id
    FOR UPDATE OF s`;
}

/** Moves allocated units from available to reserved (rows already locked, and checked to have them). */
export async function holdUnits(tx: Prisma.TransactionClient, allocations: readonly Allocation[]): Promise<void> {
  await tx.$executeRaw`
    UPDATE stock_levels s
    SET reserved = s.reserved + a.quantity, available = s.available - a.quantity, updated_at = now()
    FROM unnest(
      ${allocations.map((a) => a.productId)}::uuid[],
      ${allocations.map((a) => a.warehouseId)}::uuid[],
      ${allocations.map((a) => a.quantity)}::int[]
    ) AS a(product_id, warehouse_id, quantity)
    WHERE s.product_id = a.product_id AND s.warehouse_id = a.warehouse_id`;
}

/**
 * Gives the units of HELD reservations back to "available" and closes them as RELEASED or EXPIRED. The
 * caller has locked the reservation rows and checked they are HELD.
 */
export async function releaseHolds(
  tx: Prisma.TransactionClient,
  reservationIds: readonly string[],
  status: Extract<ReservationStatus, 'RELEASED' | 'EXPIRED'>,
): Promise<void> {
  if (!reservationIds.length) return;
  await lockStock(tx, [], reservationIds);
  await tx.$executeRaw`
    UPDATE stock_levels s
    SET reserved = s.reserved - t.quantity, available = s.available + t.quantity, updated_at = now()
    FROM (${itemSums(reservationIds)}) t
    WHERE s.product_id = t.product_id AND s.warehouse_id = t.warehouse_id`;
  await tx.reservation.updateMany({ where: { id: { in: [...reservationIds] } }, data: { status } });
}

/** Ships the units of a HELD reservation: they leave both "on hand" and "reserved"; "available" is unchanged. */
export async function commitHold(tx: Prisma.TransactionClient, reservationId: string): Promise<void> {
  await lockStock(tx, [], [reservationId]);
  await tx.$executeRaw`
    UPDATE stock_levels s
    SET on_hand = s.on_hand - t.quantity, reserved = s.reserved - t.quantity, updated_at = now()
    FROM (${itemSums([reservationId])}) t
    WHERE s.product_id = t.product_id AND s.warehouse_id = t.warehouse_id`;
  await tx.reservation.update({ where: { id: reservationId }, data: { status: 'COMMITTED' } });
}

/**
 * Locks the HELD reservations past their expiry that hold units of `productIds` (or any product, with null),
 * skipping those another transaction is settling right now. At most `limit` of them, oldest expiry first.
 */
export async function lockLapsedHolds(
  tx: Prisma.TransactionClient,
  now: Date,
  productIds: readonly string[] | null,
  limit: number,
): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT r.id FROM reservations r
    WHERE r.status = 'HELD' AND r.expires_at <= ${now}::timestamptz
      ${
        productIds
          ? Prisma.sql`AND r.id IN (SELECT reservation_id FROM reservation_items WHERE product_id = ANY(${[...productIds]}::uuid[]))`
          : Prisma.empty
      }
    ORDER BY r.expires_at, r.id
    LIMIT ${limit}
    FOR UPDATE OF r SKIP LOCKED`;
  return rows.map((row) => row.id);
}
