import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import type { Prisma, PrismaClient, WishlistItem } from './database.ts';

/** Wishlist items are listed most recently added first; the cursor is (addedAt, productId). */
export const wishlistPosition = z.object({ addedAt: z.iso.datetime(), productId: z.uuid() });
export type WishlistPosition = z.infer<typeof wishlistPosition>;

export const wishlistPositionOf = (item: WishlistItem): WishlistPosition => ({
  addedAt: item.addedAt.toISOString(),
  productId: item.productId,
});

function afterPosition(position: WishlistPosition | null): Prisma.WishlistItemWhereInput {
  if (!position) return {};
  const addedAt = new Date(position.addedAt);
  return { OR: [{ addedAt: { lt: addedAt } }, { addedAt, productId: { lt: position.productId } }] };
}

/** The same page of several users' wishlists in one SQL statement (a lateral join per user). */
export async function wishlistPagesByUser(
  prisma: PrismaClient,
  userIds: readonly string[],
  page: Page<WishlistPosition>,
): Promise<Map<string, WishlistItem[]>> {
  const users = await prisma.user.findMany({
    where: { id: { in: [...userIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      wishlist: {
        where: afterPosition(page.after),
        orderBy: [{ addedAt: 'desc' }, { productId: 'desc' }],
        take: page.first + 1,
      },
    },
  });
  return new Map(users.map((user) => [user.id, user.wishlist]));
}
