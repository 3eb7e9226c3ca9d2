import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin, type FileSigningConfig } from '@storefront/identity';
import { categoryPosition, categoryPositionOf, listCategories } from './categories.ts';
import type { PrismaClient } from './database.ts';
import { giftCardPosition, giftCardPositionOf, listGiftCards } from './gift-cards.ts';
import type { ImportJobs } from './imports/import-jobs.ts';
import type { CatalogLoaders } from './loaders.ts';
import { createProduct, updateProduct } from './product-mutations.ts';
import { listProducts, parseProductFilter, productPosition, productPositionOf } from './products.ts';
import {
  createProductImport,
  errorPosition,
  importPosition,
  importPositionOf,
  importProgress,
  listImportErrors,
  listProductImports,
  startProductImport,
} from './imports/product-imports.ts';

export interface CatalogContext extends RequestContext {
  prisma: PrismaClient;
  loaders: CatalogLoaders;
  /** Signs import upload URLs. */
  files: FileSigningConfig;
  /** The jobs.product-imports producer, its queue opened on first use. */
  importJobs: ImportJobs;
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

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    async products(_, args, { prisma }) {
      const order = args.orderBy ?? 'NEWEST';
      const page = parsePage(args, productPosition);
      const products = await listProducts(prisma, page, order, parseProductFilter(args.filter));
      return toConnection(products, page, productPositionOf(order));
    },
    product(_, { id, sku }, { loaders }) {
      const given = exactlyOne(['id', id], ['sku', sku]);
      return given.key === 'id' ? loaders.productById.load(uuidArgument(given.value, 'id')) : loaders.productBySku.load(given.value);
    },
    purchasable: (_, { id }, { loaders }) =>
      loaders.purchasableById.load(uuidArgument(id, 'id')),
    async giftCards(_, args, { prisma }) {
      const page = parsePage(args, giftCardPosition);
      return toConnection(await listGiftCards(prisma, page), page, giftCardPositionOf);
    },
    async categories(_, args, { prisma }) {
      const page = parsePage(args, categoryPosition);
      return toConnection(await listCategories(prisma, page), page, categoryPositionOf);
    },
    category(_, { id, slug }, { loaders }) {
      const given = exactlyOne(['id', id], ['slug', slug]);
      return given.key === 'id' ? loaders.categoryById.load(uuidArgument(given.value, 'id')) : loaders.categoryBySlug.load(given.value);
    },
    productImport(_, { id }, { prisma, viewer }) {
      // Any admin may follow any import (not only the one who started it): imports change the shared catalog.
      requireAdmin(viewer);
      return prisma.productImport.findUnique({ where: { id: uuidArgument(id, 'id') } });
    },
    async productImports(_, args, { prisma, viewer }) {
      requireAdmin(viewer);
      const page = parsePage(args, importPosition);
      return toConnection(await listProductImports(prisma, page), page, importPositionOf);
    },
  },

  Mutation: {
    createProduct(_, { input }, { prisma, viewer }) {
      requireAdmin(viewer);
      return createProduct(prisma, input);
    },
    updateProduct(_, { id, input }, { prisma, viewer }) {
      requireAdmin(viewer);
      return updateProduct(prisma, uuidArgument(id, 'id'), input);
    },
    createProductImport(_, __, { prisma, viewer, files }) {
      return createProductImport(prisma, files, requireAdmin(viewer).userId);
    },
    startProductImport(_, { id }, { prisma, viewer, importJobs }) {
      requireAdmin(viewer);
      return startProductImport(prisma, importJobs, uuidArgument(id, 'id'));
    },
  },

  ProductImport: {
    importedRows: (row) => row.processedRows - row.failedRows,
    progress: (row) => importProgress(row),
    async errors(row, args, { prisma }) {
      const page = parsePage(args, errorPosition);
      return toConnection(await listImportErrors(prisma, row.id, page), page, (e) => ({ line: e.line }));
    },
  },

  Purchasable: {
    // Subgraphs using Purchasable as an @interfaceObject send { __typename: "Purchasable", id }; we say which kind.
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.purchasableById.load(reference.id) : null,
    // Typed as either model (Query.product's rows are unlabelled too): a product has a SKU, a gift card none.
    __resolveType: (row) => ('sku' in row ? 'Product' : 'GiftCard'),
  },

  Product: {
    // Other subgraphs send { id } or { sku }; an id that is not a UUID cannot exist, so it resolves to null.
    __resolveReference(reference, { loaders }) {
      if ('id' in reference && reference.id !== undefined) return isUuid(reference.id) ? loaders.productById.load(reference.id) : null;
      return 'sku' in reference && reference.sku !== undefined ? loaders.productBySku.load(reference.sku) : null;
    },
    price: (product) => money(product),
    async category(product, _, { loaders }) {
      const category = await loaders.categoryById.load(product.categoryId);
      // Category! and a required foreign key: a missing row is a broken database, an error as the null was.
      if (!category) throw new Error(`category ${product.categoryId} of product ${product.id} does not exist`);
      return category;
    },
  },

  GiftCard: {
    async __resolveReference(reference, { loaders }) {
      const row = isUuid(reference.id) ? await loaders.purchasableById.load(reference.id) : null;
      return row?.__typename === 'GiftCard' ? row : null;
    },
    price: (card) => money(card),
  },

  Category: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.categoryById.load(reference.id) : null,
    async products(category, args, { loaders }) {
      const page = parsePage(args, productPosition);
      return toConnection(await loaders.productsOfCategory(page).load(category.id), page, productPositionOf('NEWEST'));
    },
  },
};
