import {
  badUserInput,
  DateTimeScalar,
  isUuid,
  parsePage,
  toConnection,
  type GraphQLResolverMap,
  type PageArgs,
  type RequestContext,
} from '@storefront/common';
import { categoryPosition, categoryPositionOf, listCategories } from './categories.ts';
import type { Category, PrismaClient, Product } from './database.ts';
import type { CatalogLoaders } from './loaders.ts';
import { listProducts, productPosition, productPositionOf } from './products.ts';

export interface CatalogContext extends RequestContext {
  prisma: PrismaClient;
  loaders: CatalogLoaders;
}

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

/** For lookups by one of two keys: returns which was given, refusing none or both. */
function exactlyOne<A extends string, B extends string>(
  a: [A, string | null | undefined],
  b: [B, string | null | undefined],
): { key: A | B; value: string } {
  const [aName, aValue] = a;
  const [bName, bValue] = b;
  if (aValue != null && bValue == null) return { key: aName, value: aValue };
  if (bValue != null && aValue == null) return { key: bName, value: bValue };
  throw badUserInput(`Give exactly one of ${aName} or ${bName}`);
}

export const resolvers: GraphQLResolverMap<CatalogContext> = {
  DateTime: DateTimeScalar,

  Query: {
    async products(_: unknown, args: PageArgs & { categoryId?: string | null }, { prisma }: CatalogContext) {
      const page = parsePage(args, productPosition);
      const categoryId = args.categoryId == null ? undefined : uuidArgument(args.categoryId, 'categoryId');
      return toConnection(await listProducts(prisma, page, { categoryId }), page, productPositionOf);
    },
    product(_: unknown, { id, sku }: { id?: string | null; sku?: string | null }, { loaders }: CatalogContext) {
      const given = exactlyOne(['id', id], ['sku', sku]);
      return given.key === 'id' ? loaders.productById.load(uuidArgument(given.value, 'id')) : loaders.productBySku.load(given.value);
    },
    async categories(_: unknown, args: PageArgs, { prisma }: CatalogContext) {
      const page = parsePage(args, categoryPosition);
      return toConnection(await listCategories(prisma, page), page, categoryPositionOf);
    },
    category(_: unknown, { id, slug }: { id?: string | null; slug?: string | null }, { loaders }: CatalogContext) {
      const given = exactlyOne(['id', id], ['slug', slug]);
      return given.key === 'id' ? loaders.categoryById.load(uuidArgument(given.value, 'id')) : loaders.categoryBySlug.load(given.value);
    },
  },

  Product: {
    // Other subgraphs send { id } or { sku }; an id that is not a UUID cannot exist, so it resolves to null.
    __resolveReference(reference: { id?: string; sku?: string }, { loaders }: CatalogContext) {
      if (reference.id !== undefined) return isUuid(reference.id) ? loaders.productById.load(reference.id) : null;
      return reference.sku !== undefined ? loaders.productBySku.load(reference.sku) : null;
    },
    price: (product: Product) => ({ amount: product.priceCents, currency: product.currency }),
    category: (product: Product, _: unknown, { loaders }: CatalogContext) => loaders.categoryById.load(product.categoryId),
  },

  Category: {
    __resolveReference: (reference: { id: string }, { loaders }: CatalogContext) =>
      isUuid(reference.id) ? loaders.categoryById.load(reference.id) : null,
    async products(category: Category, args: PageArgs, { loaders }: CatalogContext) {
      const page = parsePage(args, productPosition);
      return toConnection(await loaders.productsOfCategory(page).load(category.id), page, productPositionOf);
    },
  },
};
