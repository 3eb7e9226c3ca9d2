import { z } from 'zod';
import type { Page } from '@storefront/common';
import type { Prisma, PrismaClient, Product } from './database.ts';

/** Products are listed newest first; the cursor is the last row's (createdAt, id). */
export const productPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type ProductPosition = z.infer<typeof productPosition>;

export const productPositionOf = (product: Product): ProductPosition => ({
  createdAt: product.createdAt.toISOString(),
  id: product.id,
});

export const NEWEST_FIRST: Prisma.ProductOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'desc' }];

/** Keyset condition for "after this position" in newest-first order. */
export function afterPosition(position: ProductPosition | null): Prisma.ProductWhereInput {
  if (!position) return {};
  const createdAt = new Date(position.createdAt);
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: position.id } }] };
}

/** One page of products (one row extra, to know whether another page follows). */
export function listProducts(
  prisma: PrismaClient,
  page: Page<ProductPosition>,
  filter: { categoryId?: string },
): Promise<Product[]> {
  return prisma.product.findMany({
    where: { ...afterPosition(page.after), ...(filter.categoryId ? { categoryId: filter.categoryId } : {}) },
    orderBy: NEWEST_FIRST,
    take: page.first + 1,
  });
}

export function productsByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Product[]> {
  return prisma.product.findMany({ where: { id: { in: [...ids] } } });
}

export function productsBySkus(prisma: PrismaClient, skus: readonly string[]): Promise<Product[]> {
  return prisma.product.findMany({ where: { sku: { in: [...skus] } } });
}

/**
 * The same page of products for many categories in one SQL statement (Prisma turns the nested `take` into a
 * lateral join), so `categories { products }` costs one query however many categories are listed.
 */
export async function productPagesByCategory(
  prisma: PrismaClient,
  categoryIds: readonly string[],
  page: Page<ProductPosition>,
): Promise<Map<string, Product[]>> {
  const categories = await prisma.category.findMany({
    where: { id: { in: [...categoryIds] } },
    relationLoadStrategy: 'join',
    select: { id: true, products: { where: afterPosition(page.after), orderBy: NEWEST_FIRST, take: page.first + 1 } },
  });
  return new Map(categories.map((category) => [category.id, category.products]));
}
