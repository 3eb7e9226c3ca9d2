import { z } from 'zod';
import { badUserInput, escapeLikeWildcards, singleLineText, type Page } from '@storefront/api-conventions';
import type { Prisma, PrismaClient, Product } from './database.ts';

/** The orderings clients may ask for; each pages by its own keyset (sort value, id). */
export type ProductOrder = 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC' | 'NAME_ASC' | 'TOP_RATED';

/**
 * A position in one ordering. The cursor names its ordering so a cursor from "by price" cannot be replayed
 * against "newest first" (it would skip or repeat rows).
 */
export const productPosition = z.discriminatedUnion('order', [
  z.object({ order: z.literal('NEWEST'), createdAt: z.iso.datetime(), id: z.uuid() }),
  z.object({ order: z.literal('PRICE_ASC'), priceCents: z.number().int(), id: z.uuid() }),
  z.object({ order: z.literal('PRICE_DESC'), priceCents: z.number().int(), id: z.uuid() }),
  z.object({ order: z.literal('NAME_ASC'), name: z.string(), id: z.uuid() }),
  z.object({ order: z.literal('TOP_RATED'), ratingAverage: z.number(), id: z.uuid() }),
]);
export type ProductPosition = z.infer<typeof productPosition>;

export function productPositionOf(order: ProductOrder): (product: Product) => ProductPosition {
  switch (order) {
    case 'NEWEST':
      return (p) => ({ order, createdAt: p.createdAt.toISOString(), id: p.id });
    case 'PRICE_ASC':
    case 'PRICE_DESC':
      return (p) => ({ order, priceCents: p.priceCents, id: p.id });
    case 'NAME_ASC':
      return (p) => ({ order, name: p.name, id: p.id });
    case 'TOP_RATED':
      return (p) => ({ order, ratingAverage: p.ratingAverage, id: p.id });
  }
}

const ORDER_BY: Record<ProductOrder, Prisma.ProductOrderByWithRelationInput[]> = {
  NEWEST: [{ createdAt: 'desc' }, { id: 'desc' }],
  PRICE_ASC: [{ priceCents: 'asc' }, { id: 'asc' }],
  PRICE_DESC: [{ priceCents: 'desc' }, { id: 'desc' }],
  NAME_ASC: [{ name: 'asc' }, { id: 'asc' }],
  // rating_average is kept by the catalog-ratings consumer (ratings.ts); 0 before the first review.
  TOP_RATED: [{ ratingAverage: 'desc' }, { id: 'desc' }],
};

/** Keyset condition for "after this position" in the position's own ordering. */
export function afterPosition(position: ProductPosition | null): Prisma.ProductWhereInput {
  if (!position) return {};
  switch (position.order) {
    case 'NEWEST': {
      const createdAt = new Date(position.createdAt);
      return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: position.id } }] };
    }
    case 'PRICE_ASC':
      return { OR: [{ priceCents: { gt: position.priceCents } }, { priceCents: position.priceCents, id: { gt: position.id } }] };
    case 'PRICE_DESC':
      return { OR: [{ priceCents: { lt: position.priceCents } }, { priceCents: position.priceCents, id: { lt: position.id } }] };
    case 'NAME_ASC':
      return { OR: [{ name: { gt: position.name } }, { name: position.name, id: { gt: position.id } }] };
    case 'TOP_RATED':
      return {
        OR: [{ ratingAverage: { lt: position.ratingAverage } }, { ratingAverage: position.ratingAverage, id: { lt: position.id } }],
      };
  }
}

/** The filter argument after validation. */
export interface ProductFilter {
  search?: string;
  categoryId?: string;
  minPrice?: number;
  maxPrice?: number;
}

const filterSchema = z
  .object({
    search: singleLineText().trim().max(100).nullish(),
    categoryId: z.uuid().nullish(),
    minPrice: z.number().int().min(0).nullish(),
    maxPrice: z.number().int().min(0).nullish(),
  })
  .refine((f) => f.minPrice == null || f.maxPrice == null || f.minPrice <= f.maxPrice, {
    path: ['maxPrice'],
    message: 'maxPrice must not be below minPrice',
  });

/** Validates the products filter; a bad filter is a client error on the named field. */
export function parseProductFilter(raw: unknown): ProductFilter {
  const parsed = filterSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['filter', ...(issue?.path ?? []).map(String)].join('.');
    throw badUserInput(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const { search, categoryId, minPrice, maxPrice } = parsed.data;
  return {
    ...(search ? { search } : {}),
    ...(categoryId ? { categoryId } : {}),
    ...(minPrice != null ? { minPrice } : {}),
    ...(maxPrice != null ? { maxPrice } : {}),
  };
}

function filterWhere(filter: ProductFilter): Prisma.ProductWhereInput[] {
  const where: Prisma.ProductWhereInput[] = [];
  // A case-insensitive substring match: enough for 10^4–10^5 products; a search engine takes over beyond that.
  // Prisma puts `contains` inside an ILIKE pattern unescaped: "%" would match every product.
  if (filter.search) {
    const contains = escapeLikeWildcards(filter.search);
    where.push({
      OR: [{ name: { contains, mode: 'insensitive' } }, { sku: { contains, mode: 'insensitive' } }],
    });
  }
  if (filter.categoryId) where.push({ categoryId: filter.categoryId });
  if (filter.minPrice != null || filter.maxPrice != null) {
    where.push({ priceCents: { ...(filter.minPrice != null ? { gte: filter.minPrice } : {}), ...(filter.maxPrice != null ? { lte: filter.maxPrice } : {}) } });
  }
  return where;
}

/** One page of products (one row extra, to know whether another page follows). */
export function listProducts(
  prisma: PrismaClient,
  page: Page<ProductPosition>,
  order: ProductOrder,
  filter: ProductFilter,
): Promise<Product[]> {
  if (page.after && page.after.order !== order) throw badUserInput('The cursor belongs to another ordering', 'after');
  return prisma.product.findMany({
    where: { AND: [afterPosition(page.after), ...filterWhere(filter)] },
    orderBy: ORDER_BY[order],
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
  if (page.after && page.after.order !== 'NEWEST') throw badUserInput('The cursor belongs to another ordering', 'after');
  const categories = await prisma.category.findMany({
    where: { id: { in: [...categoryIds] } },
    relationLoadStrategy: 'join',
    select: { id: true, products: { where: afterPosition(page.after), orderBy: ORDER_BY.NEWEST, take: page.first + 1 } },
  });
  return new Map(categories.map((category) => [category.id, category.products]));
}
