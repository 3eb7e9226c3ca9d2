import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin } from '@storefront/identity';
import type { PrismaClient, Reservation, ReservationItem, StockLevel } from './database.ts';
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
type ProductReference = { id: string } & Record<string, unknown>;

/** Stock is not an entity: it only carries the product it sums up. */
type StockParent = { productId: string };

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

const productRef = (id: string): ProductReference => ({ id });

export const resolvers: GraphQLResolverMap<InventoryContext> = {
  DateTime: DateTimeScalar,

  Query: {
    async warehouses(_: unknown, args: PageArgs, { prisma }: InventoryContext) {
      const page = parsePage(args, warehousePosition);
      return toConnection(await listWarehouses(prisma, page), page, warehousePositionOf);
    },
    stockLevel(_: unknown, args: { productId: string; warehouseId: string }, { loaders }: InventoryContext) {
      const key = { productId: uuidArgument(args.productId, 'productId'), warehouseId: uuidArgument(args.warehouseId, 'warehouseId') };
      return loaders.stockLevelByKey.load(stockLevelKey(key));
    },
    async lowStock(_: unknown, args: PageArgs & { threshold?: number | null }, { prisma, viewer }: InventoryContext) {
      requireAdmin(viewer);
      const threshold = parseThreshold(args.threshold);
      const page = parsePage(args, lowStockPosition);
      return toConnection(await listLowStock(prisma, threshold, page), page, lowStockPositionOf);
    },
    // Inventory cannot tell whose order it is (orders owns that), and the items of someone else's order are
    // private, so only admins may look; the saga reads reservations through its mutations' payloads.
    reservation(_: unknown, { orderId }: { orderId: string }, { loaders, viewer }: InventoryContext) {
      requireAdmin(viewer);
      return loaders.reservationByOrderId.load(uuidArgument(orderId, 'orderId'));
    },
  },

  Subscription: stockChangedResolvers,

  Mutation: {
    adjustStock(_: unknown, { input }: { input: unknown }, { prisma, viewer }: InventoryContext) {
      requireAdmin(viewer);
      return adjustStock(prisma, input);
    },
    // Service-to-service (@inaccessible through the router): the saga calls them without a viewer.
    reserveStock: (_: unknown, { input }: { input: unknown }, { prisma }: InventoryContext) => reserveStock(prisma, input),
    releaseReservation: (_: unknown, { orderId }: { orderId: string }, { prisma }: InventoryContext) =>
      releaseReservation(prisma, orderId),
    commitReservation: (_: unknown, { orderId }: { orderId: string }, { prisma }: InventoryContext) =>
      commitReservation(prisma, orderId),
  },

  Product: {
    // Any product id is a valid reference (a product inventory never stocked simply has no stock); an id
    // that is not a UUID cannot exist, so it resolves to null. The representation is kept whole: it carries
    // the @requires fields shippingEstimate reads.
    __resolveReference: (reference: ProductReference) => (isUuid(reference.id) ? reference : null),
    inStock: async (product: ProductReference, _: unknown, { loaders }: InventoryContext) =>
      (await loaders.stockTotalsOfProduct.load(product.id)).inStock,
    stock: (product: ProductReference): StockParent => ({ productId: product.id }),
    shippingEstimate: (product: ProductReference, { country }: { country: string }) =>
      estimateShipping(shippedProductOf(product), parseCountry(country)),
  },

  Stock: {
    available: async ({ productId }: StockParent, _: unknown, { loaders }: InventoryContext) =>
      (await loaders.stockTotalsOfProduct.load(productId)).available,
    reserved: async ({ productId }: StockParent, _: unknown, { loaders }: InventoryContext) =>
      (await loaders.stockTotalsOfProduct.load(productId)).reserved,
    async levels({ productId }: StockParent, args: PageArgs, { loaders }: InventoryContext) {
      const page = parsePage(args, levelPosition);
      return toConnection(await loaders.levelsOfProduct(page).load(productId), page, levelPositionOf);
    },
  },

  StockLevel: {
    __resolveReference(reference: { productId?: unknown; warehouseId?: unknown }, { loaders }: InventoryContext) {
      const key = validStockLevelKey(reference);
      return key ? loaders.stockLevelByKey.load(stockLevelKey(key)) : null;
    },
    product: (level: StockLevel) => productRef(level.productId),
    warehouse: (level: StockLevel, _: unknown, { loaders }: InventoryContext) => loaders.warehouseById.load(level.warehouseId),
  },

  Warehouse: {
    __resolveReference: (reference: { id: string }, { loaders }: InventoryContext) =>
      isUuid(reference.id) ? loaders.warehouseById.load(reference.id) : null,
  },

  Reservation: {
    status: (reservation: Reservation) => effectiveStatus(reservation),
    async items(reservation: Reservation, args: PageArgs, { loaders }: InventoryContext) {
      const page = parsePage(args, itemPosition);
      return toConnection(await loaders.itemsOfReservation(page).load(reservation.id), page, itemPositionOf);
    },
  },

  ReservationItem: {
    product: (item: ReservationItem) => productRef(item.productId),
    warehouse: (item: ReservationItem, _: unknown, { loaders }: InventoryContext) => loaders.warehouseById.load(item.warehouseId),
  },
};
