import { z } from 'zod';
import { badUserInput, isUuid, type Page } from '@storefront/api-conventions';
import { Prisma, type PrismaClient, type StockLevel } from './database.ts';

/** A stock level's identity: the product and the warehouse (its compound key in SQL and in the supergraph). */
export interface StockLevelKey {
  productId: string;
  warehouseId: string;
}

/** A DataLoader key for a StockLevelKey (DataLoader compares keys by identity, so objects become strings). */
export const stockLevelKey = (key: StockLevelKey): string => `${key.productId}/${key.warehouseId}`;

/** The key of a representation or argument pair, or null when either id is not a UUID (no such row can exist). */
export function validStockLevelKey(key: { productId?: unknown; warehouseId?: unknown }): StockLevelKey | null {
  const { productId, warehouseId } = key;
  return typeof productId === 'string' && typeof warehouseId === 'string' && isUuid(productId) && isUuid(warehouseId)
    ? { productId, warehouseId }
    : null;
}

/** Many stock levels by their compound keys in one statement (`WHERE (product_id = … AND warehouse_id = …) OR …`). */
export function stockLevelsByKeys(prisma: PrismaClient, keys: readonly string[]): Promise<StockLevel[]> {
  const pairs = keys.map((key) => {
    const [productId = '', warehouseId = ''] = key.split('/');
    return { productId, warehouseId };
  });
  return prisma.stockLevel.findMany({ where: { OR: pairs } });
}

/** A product's stock over all warehouses. Products inventory has never stocked have none of anything. */
export interface StockTotals {
  productId: string;
  available: number;
  reserved: number;
  /** Whether some single warehouse can ship at least one unit now. */
  inStock: boolean;
}

/** Totals for many products in one GROUP BY; `inStock` comes from the same statement (max available > 0). */
export async function stockTotalsByProduct(prisma: PrismaClient, productIds: readonly string[]): Promise<StockTotals[]> {
  const groups = await prisma.stockLevel.groupBy({
    by: ['productId'],
    where: { productId: { in: [...productIds] } },
    _sum: { available: true, reserved: true },
    _max: { available: true },
  });
  return groups.map((group) => ({
    productId: group.productId,
    available: group._sum.available ?? 0,
    reserved: group._sum.reserved ?? 0,
    inStock: (group._max.available ?? 0) > 0,
  }));
}

export const noStock = (productId: string): StockTotals => ({ productId, available: 0, reserved: 0, inStock: false });

/** A product's levels are listed most available first; the cursor is the last row's (available, warehouseId). */
export const levelPosition = z.object({ available: z.number().int(), warehouseId: z.uuid() });
export type LevelPosition = z.infer<typeof levelPosition>;

export const levelPositionOf = (level: StockLevel): LevelPosition => ({ available: level.available, warehouseId: level.warehouseId });

// The StockLevel model's columns under the field names Prisma gives them, for raw queries that return StockLevel rows.
const STOCK_LEVEL_COLUMNS = Prisma.raw(
  [
    'product_id AS "productId"',
    'warehouse_id AS "warehouseId"',
    'on_hand AS "onHand"',
    'reserved',
    'available',
    'updated_at AS "updatedAt"',
  ].join(', '),
);

/**
 * The same page of levels for many products in ONE statement: a LATERAL subquery per product id walks the
 * (product_id, available DESC, warehouse_id) index and stops after the page. There is no products table here
 * for Prisma's relation join to start from, hence raw SQL.
 */
export async function levelPagesByProduct(
  prisma: PrismaClient,
  productIds: readonly string[],
  page: Page<LevelPosition>,
): Promise<Map<string, StockLevel[]>> {
  const after = page.after;
  const rows = await prisma.$queryRaw<StockLevel[]>`
    SELECT s.* FROM unnest(${[...productIds]}::uuid[]) AS p(id)
    CROSS JOIN LATERAL (
      SELECT ${STOCK_LEVEL_COLUMNS} FROM stock_levels
      WHERE stock_levels.product_id = p.id
        ${after ? Prisma.sql`AND (available < ${after.available} OR (available = ${after.available} AND warehouse_id > ${after.warehouseId}::uuid))` : Prisma.empty}
      ORDER BY available DESC, warehouse_id ASC
      LIMIT ${page.first + 1}
    ) s`;
  const pages = new Map<string, StockLevel[]>();
  for (const row of rows) {
    const list = pages.get(row.productId);
    if (list) list.push(row);
    else pages.set(row.productId, [row]);
  }
  return pages;
}

/** Low stock is listed least available first; the cursor is the last row's (available, productId, warehouseId). */
export const lowStockPosition = z.object({ available: z.number().int(), productId: z.uuid(), warehouseId: z.uuid() });
export type LowStockPosition = z.infer<typeof lowStockPosition>;

export const lowStockPositionOf = (level: StockLevel): LowStockPosition => ({
  available: level.available,
  productId: level.productId,
  warehouseId: level.warehouseId,
});

/** Validates lowStock's threshold: how many available units still count as low. */
export function parseThreshold(raw: number | null | undefined): number {
  const threshold = raw ?? 5;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 1_000_000) {
    throw badUserInput('threshold must be between 0 and 1000000', 'threshold');
  }
  return threshold;
}

/**
 * One page of stock levels at or below `threshold` available. The keyset is a row comparison so Postgres
 * starts the (available, product_id, warehouse_id) index scan right at the cursor.
 */
export function listLowStock(prisma: PrismaClient, threshold: number, page: Page<LowStockPosition>): Promise<StockLevel[]> {
  const after = page.after;
  return prisma.$queryRaw<StockLevel[]>`
    SELECT ${STOCK_LEVEL_COLUMNS} FROM stock_levels
    WHERE available <= ${threshold}
      ${after ? Prisma.sql`AND (available, product_id, warehouse_id) > (${after.available}, ${after.productId}::uuid, ${after.warehouseId}::uuid)` : Prisma.empty}
    ORDER BY available, product_id, warehouse_id
    LIMIT ${page.first + 1}`;
}
