import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import type { Prisma, PrismaClient, User } from './database.ts';

/** Users are listed newest first; the cursor is the last row's (createdAt, id). */
export const userPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type UserPosition = z.infer<typeof userPosition>;

export const userPositionOf = (user: User): UserPosition => ({ createdAt: user.createdAt.toISOString(), id: user.id });

export function listUsers(prisma: PrismaClient, page: Page<UserPosition>): Promise<User[]> {
  const after = page.after;
  const where: Prisma.UserWhereInput = after
    ? { OR: [{ createdAt: { lt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { lt: after.id } }] }
    : {};
  return prisma.user.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: page.first + 1 });
}

export function usersByIds(prisma: PrismaClient, ids: readonly string[]): Promise<User[]> {
  return prisma.user.findMany({ where: { id: { in: [...ids] } } });
}
