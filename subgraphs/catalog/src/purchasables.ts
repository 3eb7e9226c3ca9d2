import type { GiftCard, PrismaClient, Product } from './database.ts';
import { giftCardsByIds } from './gift-cards.ts';
import { productsByIds } from './products.ts';

/** A row of either kind, labelled with its GraphQL type so `Purchasable.__resolveType` can tell them apart. */
export type PurchasableRow = (Product & { __typename: 'Product' }) | (GiftCard & { __typename: 'GiftCard' });

/**
 * Purchasables by id, whatever their kind: products first, then gift cards only for ids that are not
 * products, so a batch costs one statement when it names only products and two at most.
 */
export async function purchasablesByIds(prisma: PrismaClient, ids: readonly string[]): Promise<PurchasableRow[]> {
  const products = await productsByIds(prisma, ids);
  const found = new Set(products.map((p) => p.id));
  const rest = ids.filter((id) => !found.has(id));
  const cards = rest.length ? await giftCardsByIds(prisma, rest) : [];
  return [
    ...products.map((p) => ({ ...p, __typename: 'Product' as const })),
    ...cards.map((c) => ({ ...c, __typename: 'GiftCard' as const })),
  ];
}
