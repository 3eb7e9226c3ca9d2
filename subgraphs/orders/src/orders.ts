import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import { Prisma, type Order, type OrderItem, type OrderStatus, type PrismaClient } from './database.ts';

/** Orders are listed newest first; the cursor is the last row's (placedAt, id). */
export const orderPosition = z.object({ placedAt: z.iso.datetime(), id: z.uuid() });
export type OrderPosition = z.infer<typeof orderPosition>;

export const orderPositionOf = (order: Order): OrderPosition => ({ placedAt: order.placedAt.toISOString(), id: order.id });

/** An order's items are listed in the order they were placed; `position` is unique within the order. */
export const itemPosition = z.object({ position: z.number().int().min(0) });
export type ItemPosition = z.infer<typeof itemPosition>;

export const itemPositionOf = (item: OrderItem): ItemPosition => ({ position: item.position });

/** The number customers see: SO- and the order's sequence number, seven digits (more once it passes 9,999,999). */
export function orderNumber(seq: bigint): string {
  return `SO-${seq.toString().padStart(7, '0')}`;
}

const NEWEST_FIRST: Prisma.OrderOrderByWithRelationInput[] = [{ placedAt: 'desc' }, { id: 'desc' }];

function afterOrder(position: OrderPosition | null): Prisma.OrderWhereInput {
  if (!position) return {};
  const placedAt = new Date(position.placedAt);
  return { OR: [{ placedAt: { lt: placedAt } }, { placedAt, id: { lt: position.id } }] };
}

/** One page of every order, optionally of one status (uses the (status, placed_at, id) or (placed_at, id) index). */
export function listOrders(prisma: PrismaClient, page: Page<OrderPosition>, status: OrderStatus | null): Promise<Order[]> {
  return prisma.order.findMany({
    where: { AND: [afterOrder(page.after), status ? { status } : {}] },
    orderBy: NEWEST_FIRST,
    take: page.first + 1,
  });
}

export function ordersByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Order[]> {
  return prisma.order.findMany({ where: { id: { in: [...ids] } } });
}

export interface UserOrdersArgs {
  page: Page<OrderPosition>;
  status: OrderStatus | null;
}

// The Order model's columns under the field names Prisma gives them, for raw queries that return Order rows.
const ORDER_COLUMNS = Prisma.raw(
  [
    'id',
    'seq',
    'user_id AS "userId"',
    'status',
    'cancel_reason AS "cancelReason"',
    'total_cents AS "totalCents"',
    'currency',
    'ship_name AS "shipName"',
    'ship_line1 AS "shipLine1"',
    'ship_line2 AS "shipLine2"',
    'ship_city AS "shipCity"',
    'ship_postal_code AS "shipPostalCode"',
    'ship_country AS "shipCountry"',
    'idempotency_key AS "idempotencyKey"',
    'request_fingerprint AS "requestFingerprint"',
    'placed_at AS "placedAt"',
    'updated_at AS "updatedAt"',
  ].join(', '),
);

/**
 * The same page of orders for many users in ONE statement: a LATERAL subquery per user id walks the
 * (user_id, placed_at DESC, id DESC) index and stops after the page. There is no users table in this database
 * for Prisma's relation join to start from, hence raw SQL.
 */
export async function orderPagesByUser(
  prisma: PrismaClient,
  userIds: readonly string[],
  { page, status }: UserOrdersArgs,
): Promise<Map<string, Order[]>> {
  const after = page.after;
  const rows = await prisma.$queryRaw<Order[]>`
    SELECT o.* FROM unnest(${[...userIds]}::uuid[]) AS u(id)
    CROSS JOIN LATERAL (
      SELECT ${ORDER_COLUMNS} FROM orders
      WHERE orders.user_id = u.id
        ${status ? Prisma.sql`AND status = ${status}::order_status` : Prisma.empty}
        ${after ? Prisma.sql`AND (placed_at, id) < (${after.placedAt}::timestamptz, ${after.id}::uuid)` : Prisma.empty}
      ORDER BY placed_at DESC, id DESC
      LIMIT ${page.first + 1}
    ) o`;
  const pages = new Map<string, Order[]>();
  for (const row of rows) {
    const list = pages.get(row.userId);
    if (list) list.push(row);
    else pages.set(row.userId, [row]);
  }
  return pages;
}

/** The same page of items for many orders in one statement (Prisma turns the nested `take` into a lateral join). */
export async function itemPagesByOrder(
  prisma: PrismaClient,
  orderIds: readonly string[],
  page: Page<ItemPosition>,
): Promise<Map<string, OrderItem[]>> {
  const orders = await prisma.order.findMany({
    where: { id: { in: [...orderIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      items: {
        where: page.after ? { position: { gt: page.after.position } } : {},
        orderBy: { position: 'asc' },
        take: page.first + 1,
      },
    },
  });
  return new Map(orders.map((order) => [order.id, order.items]));
}

/** Units per order (all items, not a page of them), for many orders in one GROUP BY. */
export async function unitCountsByOrder(prisma: PrismaClient, orderIds: readonly string[]): Promise<Map<string, number>> {
  const sums = await prisma.orderItem.groupBy({ by: ['orderId'], where: { orderId: { in: [...orderIds] } }, _sum: { quantity: true } });
  return new Map(sums.map((row) => [row.orderId, row._sum.quantity ?? 0]));
}
