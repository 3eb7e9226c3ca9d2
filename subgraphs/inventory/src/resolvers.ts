import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin } from '@storefront/identity';
import type { PrismaClient } from './database.ts';
import type { InventoryLoaders } from './loaders.ts';
import { commitReservation, releaseReservation } from './reservation-transitions.ts';
import { effectiveStatus, itemPosition, itemPositionOf } from './reservations.ts';
import { reserveStock } from './reserve-stock.ts';
import { estimateShipping, parseCountry, shippedProductOf } from './shipping.ts';
import { adjustStock } from './stock-adjustments.ts';
import {
  levelPosition,
  levelPositionOf,
  listLowStock,
  lowStockPosition,
  lowStockPositionOf,
  parseThreshold,
  stockLevelKey,
  validStockLevelKey,
} from './stock-levels.ts';
import { stockChangedResolvers, type StockChangeHub } from './subscriptions/stock-changed.ts';
import { listWarehouses, warehousePosition, warehousePositionOf } from './warehouses.ts';

export interface InventoryContext extends RequestContext {
  prisma: PrismaClient;
  loaders: InventoryLoaders;
  /** Committed stock changes, for Subscription.stockChanged (absent where no change feed runs). */
  stockChanges?: StockChangeHub;
}

/** A Product as inventory sees it: the id, plus the catalog fields the router adds for `@requires`. */
export type ProductParent = { id: string } & Record<string, unknown>;

/** Stock is not an entity: it only carries the product it sums up. */
export type StockParent = { productId: string };

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

const productRef = (id: string): ProductParent => ({ id });

/** Warehouse! over a required foreign key: a missing row is a broken database, an error as the null was. */
async function warehouseOf(row: { warehouseId: string }, loaders: InventoryLoaders) {
  const warehouse = await loaders.warehouseById.load(row.warehouseId);
  if (!warehouse) throw new Error(`warehouse ${row.warehouseId} does not exist`);
  return warehouse;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    async warehouses(_, args, { prisma }) {
      const page = parsePage(args, warehousePosition);
      return toConnection(await listWarehouses(prisma, page), page, warehousePositionOf);
    },
    stockLevel(_, args, { loaders }) {
      const key = { productId: uuidArgument(args.productId, 'productId'), warehouseId: uuidArgument(args.warehouseId, 'warehouseId') };
      return loaders.stockLevelByKey.load(stockLevelKey(key));
    },
    async lowStock(_, args, { prisma, viewer }) {
      requireAdmin(viewer);
      const threshold = parseThreshold(args.threshold);
      const page = parsePage(args, lowStockPosition);
      return toConnection(await listLowStock(prisma, threshold, page), page, lowStockPositionOf);
    },
    // Inventory cannot tell whose order it is (orders owns that), and the items of someone else's order are
    // private, so only admins may look; the saga reads reservations through its mutations' payloads.
    reservation(_, { orderId }, { loaders, viewer }) {
      requireAdmin(viewer);
      return loaders.reservationByOrderId.load(uuidArgument(orderId, 'orderId'));
    },
  },

  Subscription: stockChangedResolvers,

  Mutation: {
    adjustStock(_, { input }, { prisma, viewer }) {
      requireAdmin(viewer);
      return adjustStock(prisma, input);
    },
    // Service-to-service (@inaccessible through the router): the saga calls them without a viewer.
    reserveStock: (_, { input }, { prisma }) => reserveStock(prisma, input),
    releaseReservation: (_, { orderId }, { prisma }) =>
      releaseReservation(prisma, orderId),
    commitReservation: (_, { orderId }, { prisma }) =>
      commitReservation(prisma, orderId),
  },

  Product: {
    // Any product id is a valid reference (a product inventory never stocked simply has no stock); an id
    // that is not a UUID cannot exist, so it resolves to null. The representation is kept whole: it carries
    // the @requires fields shippingEstimate reads.
    __resolveReference: (reference) => (isUuid(reference.id) ? reference : null),
    inStock: async (product, _, { loaders }) =>
      (await loaders.stockTotalsOfProduct.load(product.id)).inStock,
    stock: (product): StockParent => ({ productId: product.id }),
    shippingEstimate: (product, { country }) =>
      estimateShipping(shippedProductOf(product), parseCountry(country)),
  },

  Stock: {
    available: async ({ productId }, _, { loaders }) =>
      (await loaders.stockTotalsOfProduct.load(productId)).available,
    reserved: async ({ productId }, _, { loaders }) =>
      (await loaders.stockTotalsOfProduct.load(productId)).reserved,
    async levels({ productId }, args, { loaders }) {
      const page = parsePage(args, levelPosition);
      return toConnection(await loaders.levelsOfProduct(page).load(productId), page, levelPositionOf);
    },
  },

  StockLevel: {
    __resolveReference(reference, { loaders }) {
      const key = validStockLevelKey(reference);
      return key ? loaders.stockLevelByKey.load(stockLevelKey(key)) : null;
    },
    product: (level) => productRef(level.productId),
    warehouse: (level, _, { loaders }) => warehouseOf(level, loaders),
  },

  Warehouse: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.warehouseById.load(reference.id) : null,
  },

  Reservation: {
    status: (reservation) => effectiveStatus(reservation),
    async items(reservation, args, { loaders }) {
      const page = parsePage(args, itemPosition);
      return toConnection(await loaders.itemsOfReservation(page).load(reservation.id), page, itemPositionOf);
    },
  },

  ReservationItem: {
    product: (item) => productRef(item.productId),
    warehouse: (item, _, { loaders }) => warehouseOf(item, loaders),
  },
};
