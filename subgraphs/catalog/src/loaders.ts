import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import { categoriesByIds, categoriesBySlugs } from './categories.ts';
import type { PrismaClient } from './database.ts';
import { productPagesByCategory, productsByIds, productsBySkus } from './products.ts';
import { purchasablesByIds } from './purchasables.ts';

/**
 * Per-request batching over the catalog database: every lookup a GraphQL request makes in one tick becomes
 * one SQL statement. Created fresh for each request so nothing is cached across users.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    productById: uniqueLoader((ids: readonly string[]) => productsByIds(prisma, ids), (p) => p.id),
    productBySku: uniqueLoader((skus: readonly string[]) => productsBySkus(prisma, skus), (p) => p.sku),
    purchasableById: uniqueLoader((ids: readonly string[]) => purchasablesByIds(prisma, ids), (p) => p.id),
    categoryById: uniqueLoader((ids: readonly string[]) => categoriesByIds(prisma, ids), (c) => c.id),
    categoryBySlug: uniqueLoader((slugs: readonly string[]) => categoriesBySlugs(prisma, slugs), (c) => c.slug),
    productsOfCategory: pagedRelationLoader(productPagesByCategory.bind(null, prisma)),
  };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
