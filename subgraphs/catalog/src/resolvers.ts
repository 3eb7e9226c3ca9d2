import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin, type FileSigningConfig } from '@storefront/identity';
import type { Queue } from 'bullmq';
import { categoryPosition, categoryPositionOf, listCategories } from './categories.ts';
import type { Category, GiftCard, PrismaClient, Product } from './database.ts';
import { giftCardPosition, giftCardPositionOf, listGiftCards } from './gift-cards.ts';
import type { CatalogLoaders } from './loaders.ts';
import { createProduct, updateProduct } from './product-mutations.ts';
import { listProducts, parseProductFilter, productPosition, productPositionOf, type ProductOrder } from './products.ts';
import type { PurchasableRow } from './purchasables.ts';
import {
  createProductImport,
  errorPosition,
  importPosition,
  importPositionOf,
  importProgress,
  listImportErrors,
  listProductImports,
  startProductImport,
  type ProductImport,
} from './imports/product-imports.ts';

export interface CatalogContext extends RequestContext {
  prisma: PrismaClient;
  loaders: CatalogLoaders;
  /** Signs import upload URLs. */
  files: FileSigningConfig;
  /** The jobs.product-imports producer, opened on first use. */
  importQueue: () => Queue;
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

const money = (row: { priceCents: number; currency: string }) => ({ amount: row.priceCents, currency: row.currency });

export const resolvers: GraphQLResolverMap<CatalogContext> = {
  DateTime: DateTimeScalar,

  Query: {
    async products(
      _: unknown,
      args: PageArgs & { filter?: unknown; orderBy?: ProductOrder | null },
      { prisma }: CatalogContext,
    ) {
      const order = args.orderBy ?? 'NEWEST';
      const page = parsePage(args, productPosition);
      const products = await listProducts(prisma, page, order, parseProductFilter(args.filter));
      return toConnection(products, page, productPositionOf(order));
    },
    product(_: unknown, { id, sku }: { id?: string | null; sku?: string | null }, { loaders }: CatalogContext) {
      const given = exactlyOne(['id', id], ['sku', sku]);
      return given.key === 'id' ? loaders.productById.load(uuidArgument(given.value, 'id')) : loaders.productBySku.load(given.value);
    },
    purchasable: (_: unknown, { id }: { id: string }, { loaders }: CatalogContext) =>
      loaders.purchasableById.load(uuidArgument(id, 'id')),
    async giftCards(_: unknown, args: PageArgs, { prisma }: CatalogContext) {
      const page = parsePage(args, giftCardPosition);
      return toConnection(await listGiftCards(prisma, page), page, giftCardPositionOf);
    },
    async categories(_: unknown, args: PageArgs, { prisma }: CatalogContext) {
      const page = parsePage(args, categoryPosition);
      return toConnection(await listCategories(prisma, page), page, categoryPositionOf);
    },
    category(_: unknown, { id, slug }: { id?: string | null; slug?: string | null }, { loaders }: CatalogContext) {
      const given = exactlyOne(['id', id], ['slug', slug]);
      return given.key === 'id' ? loaders.categoryById.load(uuidArgument(given.value, 'id')) : loaders.categoryBySlug.load(given.value);
    },
    productImport(_: unknown, { id }: { id: string }, { prisma, viewer }: CatalogContext) {
      // Any admin may follow any import (not only the one who started it): imports change the shared catalog.
      requireAdmin(viewer);
      return prisma.productImport.findUnique({ where: { id: uuidArgument(id, 'id') } });
    },
    async productImports(_: unknown, args: PageArgs, { prisma, viewer }: CatalogContext) {
      requireAdmin(viewer);
      const page = parsePage(args, importPosition);
      return toConnection(await listProductImports(prisma, page), page, importPositionOf);
    },
  },

  Mutation: {
    createProduct(_: unknown, { input }: { input: unknown }, { prisma, viewer }: CatalogContext) {
      requireAdmin(viewer);
      return createProduct(prisma, input);
    },
    updateProduct(_: unknown, { id, input }: { id: string; input: unknown }, { prisma, viewer }: CatalogContext) {
      requireAdmin(viewer);
      return updateProduct(prisma, uuidArgument(id, 'id'), input);
    },
    createProductImport(_: unknown, __: unknown, { prisma, viewer, files }: CatalogContext) {
      return createProductImport(prisma, files, requireAdmin(viewer).userId);
    },
    startProductImport(_: unknown, { id }: { id: string }, { prisma, viewer, importQueue }: CatalogContext) {
      requireAdmin(viewer);
      return startProductImport(prisma, importQueue, uuidArgument(id, 'id'));
    },
  },

  ProductImport: {
    importedRows: (row: ProductImport) => row.processedRows - row.failedRows,
    progress: (row: ProductImport) => importProgress(row),
    async errors(row: ProductImport, args: PageArgs, { prisma }: CatalogContext) {
      const page = parsePage(args, errorPosition);
      return toConnection(await listImportErrors(prisma, row.id, page), page, (e) => ({ line: e.line }));
    },
  },

  Purchasable: {
    // Subgraphs using Purchasable as an @interfaceObject send { __typename: "Purchasable", id }; we say which kind.
    __resolveReference: (reference: { id: string }, { loaders }: CatalogContext) =>
      isUuid(reference.id) ? loaders.purchasableById.load(reference.id) : null,
    __resolveType: (row: PurchasableRow) => row.__typename,
  },

  Product: {
    // Other subgraphs send { id } or { sku }; an id that is not a UUID cannot exist, so it resolves to null.
    __resolveReference(reference: { id?: string; sku?: string }, { loaders }: CatalogContext) {
      if (reference.id !== undefined) return isUuid(reference.id) ? loaders.productById.load(reference.id) : null;
      return reference.sku !== undefined ? loaders.productBySku.load(reference.sku) : null;
    },
    price: (product: Product) => money(product),
    category: (product: Product, _: unknown, { loaders }: CatalogContext) => loaders.categoryById.load(product.categoryId),
  },

  GiftCard: {
    async __resolveReference(reference: { id: string }, { loaders }: CatalogContext) {
      const row = isUuid(reference.id) ? await loaders.purchasableById.load(reference.id) : null;
      return row?.__typename === 'GiftCard' ? row : null;
    },
    price: (card: GiftCard) => money(card),
  },

  Category: {
    __resolveReference: (reference: { id: string }, { loaders }: CatalogContext) =>
      isUuid(reference.id) ? loaders.categoryById.load(reference.id) : null,
    async products(category: Category, args: PageArgs, { loaders }: CatalogContext) {
      const page = parsePage(args, productPosition);
      return toConnection(await loaders.productsOfCategory(page).load(category.id), page, productPositionOf('NEWEST'));
    },
  },
};
