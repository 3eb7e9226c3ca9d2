import DataLoader from 'dataloader';
import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import type { Delivery, PrismaClient } from './database.ts';
import { deliveriesByNotification } from './deliveries.ts';
import { notificationPagesByUser, notificationsByIds, unreadCountsByUser } from './notification-feed.ts';

/** A loader of "many rows per key" or aggregates: one fetch per tick, a default for keys without rows. */
function groupedLoader<Value>(fetch: (keys: readonly string[]) => Promise<Map<string, Value>>, fallback: () => Value) {
  return new DataLoader<string, Value>(async (keys) => {
    const found = await fetch(keys);
    return keys.map((key) => found.get(key) ?? fallback());
  });
}

/**
 * Per-request batching over the notifications database: every lookup a GraphQL request makes in one tick
 * becomes one SQL statement. Created fresh for each request so nothing is cached across users.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    notificationById: uniqueLoader((ids: readonly string[]) => notificationsByIds(prisma, ids), (n) => n.id),
    notificationsOfUser: pagedRelationLoader(notificationPagesByUser.bind(null, prisma)),
    unreadCountOfUser: groupedLoader((userIds) => unreadCountsByUser(prisma, userIds), () => 0),
    deliveriesOfNotification: groupedLoader<Delivery[]>((ids) => deliveriesByNotification(prisma, ids), () => []),
  };
}

export type NotificationsLoaders = ReturnType<typeof createLoaders>;
