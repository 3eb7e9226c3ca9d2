import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SEED_TIMELINE, SEED_WAREHOUSES, SeedNamespace, seedOrders, seedStockAvailable, seedWarehouse, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { chunks } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';
import { reservationFingerprint } from '../src/reserve-stock.ts';

const DAY_MS = 86_400_000;
/** Seeded orders waiting for payment hold their stock this long after they reached RESERVED. */
const SEED_HOLD_MS = 7 * DAY_MS;

interface SeedHold {
  reservation: { id: string; orderId: string; status: 'HELD'; requestFingerprint: string; expiresAt: Date; createdAt: Date; updatedAt: Date };
  items: Array<{ reservationId: string; productId: string; warehouseId: string; quantity: number }>;
}

/**
 * Where a seeded reservation's units of product `productIndex` come from: the warehouses 0..n that stock the
 * product, in order, each up to its seeded stock; whatever is left (the product sold out, or too few units)
 * from the first one that stocks it, or warehouse 0.
 */
function allocateSeedItem(productIndex: number, quantity: number, warehouses: number): Array<{ warehouse: number; quantity: number }> {
  const stocked = Array.from({ length: warehouses }, (_, w) => w).filter((w) => seedStockAvailable(productIndex, w) > 0);
  const taken = new Map<number, number>();
  let missing = quantity;
  for (const w of stocked) {
    const take = Math.min(missing, seedStockAvailable(productIndex, w));
    if (take > 0) taken.set(w, take);
    missing -= take;
  }
  if (missing > 0) {
    const fallback = stocked[0] ?? 0;
    taken.set(fallback, (taken.get(fallback) ?? 0) + missing);
  }
  return [...taken].map(([warehouse, units]) => ({ warehouse, quantity: units }));
}

/** The stock hold of a seeded order in status RESERVED, or null for any other order or one of gift cards only. */
function seedHold(order: SeedOrder, plan: SeedPlan): SeedHold | null {
  const products = order.items.filter((item) => item.kind === 'PRODUCT' && item.productIndex !== null);
  if (order.status !== 'RESERVED' || products.length === 0) return null;
  const id = nameBasedUuid(SeedNamespace.reservation, order.id);
  return {
    reservation: {
      id,
      orderId: order.id,
      status: 'HELD',
      requestFingerprint: reservationFingerprint(products.map((item) => ({ productId: item.purchasableId, quantity: item.quantity }))),
      expiresAt: new Date(order.updatedAt.getTime() + SEED_HOLD_MS),
      createdAt: order.updatedAt,
      updatedAt: order.updatedAt,
    },
    items: products.flatMap((item) =>
      allocateSeedItem(item.productIndex ?? 0, item.quantity, plan.warehouses).map((part) => ({
        reservationId: id,
        productId: item.purchasableId,
        warehouseId: nameBasedUuid(SeedNamespace.warehouse, part.warehouse),
        quantity: part.quantity,
      })),
    ),
  };
}

/** The plan's warehouses; past the four seed sites the codes get a number so they stay unique. */
function seedWarehouses(plan: SeedPlan) {
  return Array.from({ length: plan.warehouses }, (_, i) => {
    const warehouse = seedWarehouse(i);
    const round = Math.floor(i / SEED_WAREHOUSES.length);
    return {
      ...warehouse,
      code: round === 0 ? warehouse.code : `${warehouse.code}${round + 1}`,
      name: round === 0 ? warehouse.name : `${warehouse.name} ${round + 1}`,
      createdAt: new Date(SEED_TIMELINE.usersFrom - 365 * DAY_MS),
    };
  });
}

/**
 * Replaces the inventory's data: the plan's warehouses, a stock level for every product in every warehouse,
 * and a HELD reservation for every seeded order in status RESERVED.
 *
 * Every level's AVAILABLE units are `seedStockAvailable(p, w)`, exactly, so whether a product is in stock
 * agrees with catalog's legacy flag (seedInStock) whichever subgraph the router asks. Units held by seeded
 * reservations come on top: on hand = available + reserved, so no availability is ever negative.
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const warehouses = seedWarehouses(plan);
    const holds: SeedHold[] = [];
    for (const order of seedOrders(plan)) {
      const hold = seedHold(order, plan);
      if (hold) holds.push(hold);
    }
    const items = holds.flatMap((hold) => hold.items);
    const reservedUnits = new Map<string, number>();
    for (const item of items) {
      const key = `${item.productId}/${item.warehouseId}`;
      reservedUnits.set(key, (reservedUnits.get(key) ?? 0) + item.quantity);
    }
    const updatedAt = new Date(SEED_TIMELINE.ordersTo);
    const levels = Array.from({ length: plan.products }, (_, p) =>
      warehouses.map((warehouse, w) => {
        const productId = nameBasedUuid(SeedNamespace.product, p);
        const available = seedStockAvailable(p, w);
        const reserved = reservedUnits.get(`${productId}/${warehouse.id}`) ?? 0;
        return { productId, warehouseId: warehouse.id, onHand: available + reserved, reserved, available, updatedAt };
      }),
    ).flat();

    await prisma.$transaction([
      prisma.reservationItem.deleteMany(),
      prisma.reservation.deleteMany(),
      prisma.stockAdjustment.deleteMany(),
      prisma.stockLevel.deleteMany(),
      prisma.warehouse.deleteMany(),
    ]);
    await prisma.warehouse.createMany({ data: warehouses });
    for (const batch of chunks(levels)) await prisma.stockLevel.createMany({ data: batch });
    for (const batch of chunks(holds)) await prisma.reservation.createMany({ data: batch.map((hold) => hold.reservation) });
    for (const batch of chunks(items)) await prisma.reservationItem.createMany({ data: batch });
    log(`${warehouses.length} warehouses, ${levels.length} stock levels, ${holds.length} reservations (${items.length} items)`);
  } finally {
    await prisma.$disconnect();
  }
}
