import type { GiftCard, PrismaClient, Product } from './database.ts';
import { giftCardsByIds } from './gift-cards.ts';
import { productsByIds } from './products.ts';

/** A row of either kind, labelled with its GraphQL type so `Purchasable.__resolveType` can tell them apart. */
export type PurchasableRow = (Product & { __typename: 'Product' }) | (GiftCard & { __typename: 'GiftCard' });

/**
 * Purchasables by id, whatever their kind: both tables are asked at once, so a batch always costs the same
 * two statements (in parallel) whatever mix of kinds it names.
 */
export async function purchasablesByIds(prisma: PrismaClient, ids: readonly string[]): Promise<PurchasableRow[]> {
  const [products, cards] = await Promise.all([productsByIds(prisma, ids), giftCardsByIds(prisma, ids)]);
  return [
    ...products.map((p) => ({ ...p, __typename: 'Product' as const })),
    ...cards.map((c) => ({ ...c, __typename: 'GiftCard' as const })),
  ];
}
