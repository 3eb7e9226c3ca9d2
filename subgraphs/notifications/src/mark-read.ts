import { validateInput, type InputError } from '@storefront/api-conventions';
import { z } from 'zod';
import type { PrismaClient } from './database.ts';

/** More ids than a client can show at once is a bug or abuse; "mark all" needs no ids at all. */
export const MAX_IDS_PER_CALL = 500;

const idsSchema = z.array(z.uuid()).max(MAX_IDS_PER_CALL).nullish();

export interface MarkReadPayload {
  updatedCount: number;
  unreadNotificationCount: number;
  errors: InputError[];
}

function unreadCount(prisma: PrismaClient, userId: string): Promise<number> {
  return prisma.notification.count({ where: { userId, readAt: null } });
}

/**
 * Marks the user's unread notifications read: the given ones, or all without ids. Ids of other users'
 * notifications match nothing (the update is scoped to the user), so they are ignored rather than reported,
 * which also reveals nothing about them. Repeating a call is harmless, so it takes no idempotency key, and
 * concurrent calls cannot both count a notification: the UPDATE re-checks `read_at IS NULL` on locked rows.
 */
export async function markNotificationsRead(prisma: PrismaClient, userId: string, ids: unknown): Promise<MarkReadPayload> {
  const valid = validateInput(idsSchema, ids, ['ids']);
  if (!valid.ok) return { updatedCount: 0, unreadNotificationCount: await unreadCount(prisma, userId), errors: valid.errors };
  const only = valid.value;
  const { count } = await prisma.notification.updateMany({
    where: { userId, readAt: null, ...(only ? { id: { in: only } } : {}) },
    data: { readAt: new Date() },
  });
  return { updatedCount: count, unreadNotificationCount: await unreadCount(prisma, userId), errors: [] };
}
