import DataLoader from 'dataloader';
import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import type { PrismaClient } from './database.ts';
import { itemPagesByReservation, reservationsByOrderIds } from './reservations.ts';
import { levelPagesByProduct, noStock, stockLevelKey, stockLevelsByKeys, stockTotalsByProduct, type StockTotals } from './stock-levels.ts';
import { warehousesByIds } from './warehouses.ts';

/**
 * Per-request batching over the inventory database: every lookup a GraphQL request makes in one tick becomes
 * one SQL statement. Created fresh for each request so nothing is cached across users.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    warehouseById: uniqueLoader((ids: readonly string[]) => warehousesByIds(prisma, ids), (w) => w.id),
    /** Keys are `stockLevelKey(...)` strings: DataLoader compares keys by identity. */
    stockLevelByKey: uniqueLoader((keys: readonly string[]) => stockLevelsByKeys(prisma, keys), stockLevelKey),
    /** Sums over all warehouses; a product inventory has never stocked has zero of everything. */
    stockTotalsOfProduct: new DataLoader<string, StockTotals>(async (productIds) => {
      const totals = new Map((await stockTotalsByProduct(prisma, productIds)).map((t) => [t.productId, t]));
      return productIds.map((id) => totals.get(id) ?? noStock(id));
    }),
    levelsOfProduct: pagedRelationLoader(levelPagesByProduct.bind(null, prisma)),
    reservationByOrderId: uniqueLoader((ids: readonly string[]) => reservationsByOrderIds(prisma, ids), (r) => r.orderId),
    itemsOfReservation: pagedRelationLoader(itemPagesByReservation.bind(null, prisma)),
  };
}

export type InventoryLoaders = ReturnType<typeof createLoaders>;
