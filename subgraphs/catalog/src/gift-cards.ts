import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import type { GiftCard, PrismaClient } from './database.ts';

/** Gift cards are listed cheapest first; the cursor is (priceCents, id). */
export const giftCardPosition = z.object({ priceCents: z.number().int(), id: z.uuid() });
export type GiftCardPosition = z.infer<typeof giftCardPosition>;

export const giftCardPositionOf = (card: GiftCard): GiftCardPosition => ({ priceCents: card.priceCents, id: card.id });

export function listGiftCards(prisma: PrismaClient, page: Page<GiftCardPosition>): Promise<GiftCard[]> {
  const after = page.after;
  return prisma.giftCard.findMany({
    where: after ? { OR: [{ priceCents: { gt: after.priceCents } }, { priceCents: after.priceCents, id: { gt: after.id } }] } : {},
    orderBy: [{ priceCents: 'asc' }, { id: 'asc' }],
    take: page.first + 1,
  });
}

export function giftCardsByIds(prisma: PrismaClient, ids: readonly string[]): Promise<GiftCard[]> {
  return prisma.giftCard.findMany({ where: { id: { in: [...ids] } } });
}
