import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import type { PrismaClient, Warehouse } from './database.ts';

/** Warehouses are listed by their unique code; the cursor is the last row's code. */
export const warehousePosition = z.object({ code: z.string().min(1) });
export type WarehousePosition = z.infer<typeof warehousePosition>;

export const warehousePositionOf = (warehouse: Warehouse): WarehousePosition => ({ code: warehouse.code });

/** One page of warehouses (one row extra, to know whether another page follows). */
export function listWarehouses(prisma: PrismaClient, page: Page<WarehousePosition>): Promise<Warehouse[]> {
  return prisma.warehouse.findMany({
    where: page.after ? { code: { gt: page.after.code } } : {},
    orderBy: { code: 'asc' },
    take: page.first + 1,
  });
}

export function warehousesByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Warehouse[]> {
  return prisma.warehouse.findMany({ where: { id: { in: [...ids] } } });
}
