import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import { Prisma, type Notification, type PrismaClient } from './database.ts';

/** A user's notifications are listed newest first; the cursor is (createdAt, id), the keyset index's order. */
export const notificationPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type NotificationPosition = z.infer<typeof notificationPosition>;

export const notificationPositionOf = (notification: Notification): NotificationPosition => ({
  createdAt: notification.createdAt.toISOString(),
  id: notification.id,
});

export interface FeedArgs {
  page: Page<NotificationPosition>;
  unreadOnly: boolean;
}

export function notificationsByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Notification[]> {
  return prisma.notification.findMany({ where: { id: { in: [...ids] } } });
}

/**
 * The same page of many users' notifications in ONE statement: a LATERAL subquery per user id, each an index
 * range scan on (user_id, created_at desc, id desc) — or (user_id, read_at, …) for unread only. Raw SQL because
 * users live in accounts' database, so there is no parent table for Prisma's relation joins to start from.
 */
export async function notificationPagesByUser(
  prisma: PrismaClient,
  userIds: readonly string[],
  { page, unreadOnly }: FeedArgs,
): Promise<Map<string, Notification[]>> {
  const after = page.after;
  const rows = await prisma.$queryRaw<Notification[]>`
    SELECT n.id, n.user_id AS "userId", n.kind::text AS kind, n.title, n.body, n.order_id AS "orderId",
           n.dedupe_key AS "dedupeKey", n.read_at AS "readAt", n.created_at AS "createdAt"
    FROM unnest(${[...userIds]}::uuid[]) AS wanted(user_id)
    CROSS JOIN LATERAL (
      SELECT * FROM notifications
      WHERE notifications.user_id = wanted.user_id
        ${unreadOnly ? Prisma.sql`AND notifications.read_at IS NULL` : Prisma.empty}
        ${after ? Prisma.sql`AND (notifications.created_at, notifications.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : Prisma.empty}
      ORDER BY notifications.created_at DESC, notifications.id DESC
      LIMIT ${page.first + 1}
    ) AS n`;
  const pages = new Map<string, Notification[]>();
  for (const row of rows) {
    const list = pages.get(row.userId);
    if (list) list.push(row);
    else pages.set(row.userId, [row]);
  }
  return pages;
}

/** Unread counts of many users in one GROUP BY statement; users without unread notifications count 0. */
export async function unreadCountsByUser(prisma: PrismaClient, userIds: readonly string[]): Promise<Map<string, number>> {
  const groups = await prisma.notification.groupBy({
    by: ['userId'],
    where: { userId: { in: [...userIds] }, readAt: null },
    _count: { _all: true },
  });
  return new Map(groups.map((group) => [group.userId, group._count._all]));
}
