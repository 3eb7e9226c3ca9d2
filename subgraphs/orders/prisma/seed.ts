import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid } from '@storefront/api-conventions';
import { GIFT_CARD_AMOUNTS_CENTS, SEED_TIMELINE, seedAddresses, seedGiftCard, SeedNamespace, seedOrders, seedProduct, seedUser, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { bulkInsert, chunks, type BulkColumns } from '@storefront/prisma-tools';
import { OrderStatus, PrismaClient, type Prisma } from '../src/database.ts';
import { pathTo } from '../src/order-status.ts';

const MINUTE_MS = 60_000;
/** Status-history ids, derived like every other seed id so reseeding gives the same rows. */
const STATUS_CHANGE_NAMESPACE = 'order-status-change';

/**
 * Replaces orders' data: the price replica of everything catalog sells (`plan.products` products and the gift
 * cards) and every order of the seed world with its items and status history. Carts start empty. Prices,
 * buyers and addresses come from the shared seed world, so they agree with catalog and accounts.
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const purchasables: Prisma.PurchasableCreateManyInput[] = [
      ...Array.from({ length: plan.products }, (_, i) => {
        const product = seedProduct(i, plan);
        return { id: product.id, kind: 'PRODUCT' as const, priceCents: product.priceCents, currency: product.currency, updatedAt: product.createdAt };
      }),
      ...GIFT_CARD_AMOUNTS_CENTS.map((_, i) => {
        const card = seedGiftCard(i);
        return { id: card.id, kind: 'GIFT_CARD' as const, priceCents: card.priceCents, currency: card.currency, updatedAt: new Date(SEED_TIMELINE.usersFrom) };
      }),
    ];

    const orders: Prisma.OrderCreateManyInput[] = [];
    const items: Prisma.OrderItemCreateManyInput[] = [];
    const statusChanges: Prisma.OrderStatusChangeCreateManyInput[] = [];
    const shipTo = shippingAddresses(plan);
    let index = 0;
    for (const order of seedOrders(plan)) {
      orders.push({
        id: order.id,
        seq: BigInt(index + 1),
        userId: order.userId,
        status: order.status,
        cancelReason: order.cancelReason,
        totalCents: order.totalCents,
        currency: order.currency,
        ...shipTo(order.userIndex),
        placedAt: order.placedAt,
        updatedAt: order.updatedAt,
      });
      order.items.forEach((item, position) =>
        items.push({
          id: item.id,
          orderId: order.id,
          position,
          purchasableId: item.purchasableId,
          quantity: item.quantity,
          unitPriceCents: item.unitPriceCents,
          currency: order.currency,
          shippedFromWarehouseId: item.shippedFromWarehouse === null ? null : nameBasedUuid(SeedNamespace.warehouse, item.shippedFromWarehouse),
        }),
      );
      statusChanges.push(...historyOf(order, index));
      index += 1;
    }

    await prisma.$executeRaw`TRUNCATE order_sagas, order_status_changes, order_items, orders, cart_items, carts, purchasables RESTART IDENTITY`;
    for (const batch of chunks(purchasables, 5_000)) await prisma.purchasable.createMany({ data: batch });
    // Prisma's createMany spends about a minute of CPU on 200,000 rows; one array parameter per column is ~20x faster.
    for (const batch of chunks(orders, 10_000)) await bulkInsert(prisma, 'orders', ORDER_COLUMNS, batch);
    for (const batch of chunks(items, 10_000)) await bulkInsert(prisma, 'order_items', ITEM_COLUMNS, batch);
    for (const batch of chunks(statusChanges, 10_000)) await bulkInsert(prisma, 'order_status_changes', STATUS_CHANGE_COLUMNS, batch);
    // Orders placed from now on continue the numbering after the seeded ones.
    await prisma.$executeRaw`SELECT setval(pg_get_serial_sequence('orders', 'seq'), COALESCE((SELECT MAX(seq) FROM orders), 0) + 1, false)`;
    log(`${purchasables.length} purchasables, ${orders.length} orders, ${items.length} order items, ${statusChanges.length} status changes`);
  } finally {
    await prisma.$disconnect();
  }
}

const ORDER_COLUMNS: BulkColumns<Prisma.OrderCreateManyInput> = [
  ['id', 'id', 'uuid'],
  ['seq', 'seq', 'bigint'],
  ['userId', 'user_id', 'uuid'],
  ['status', 'status', 'order_status'],
  ['cancelReason', 'cancel_reason', 'cancel_reason'],
  ['totalCents', 'total_cents', 'integer'],
  ['currency', 'currency', 'char(3)'],
  ['shipName', 'ship_name', 'text'],
  ['shipLine1', 'ship_line1', 'text'],
  ['shipLine2', 'ship_line2', 'text'],
  ['shipCity', 'ship_city', 'text'],
  ['shipPostalCode', 'ship_postal_code', 'text'],
  ['shipCountry', 'ship_country', 'char(2)'],
  ['placedAt', 'placed_at', 'timestamptz'],
  ['updatedAt', 'updated_at', 'timestamptz'],
];

const ITEM_COLUMNS: BulkColumns<Prisma.OrderItemCreateManyInput> = [
  ['id', 'id', 'uuid'],
  ['orderId', 'order_id', 'uuid'],
  ['position', 'position', 'integer'],
  ['purchasableId', 'purchasable_id', 'uuid'],
  ['quantity', 'quantity', 'integer'],
  ['unitPriceCents', 'unit_price_cents', 'integer'],
  ['currency', 'currency', 'char(3)'],
  ['shippedFromWarehouseId', 'shipped_from_warehouse_id', 'uuid'],
];

const STATUS_CHANGE_COLUMNS: BulkColumns<Prisma.OrderStatusChangeCreateManyInput> = [
  ['id', 'id', 'uuid'],
  ['orderId', 'order_id', 'uuid'],
  ['fromStatus', 'from_status', 'order_status'],
  ['toStatus', 'to_status', 'order_status'],
  ['reason', 'reason', 'cancel_reason'],
  ['changedAt', 'changed_at', 'timestamptz'],
];


/** The shipping-address columns for a user's orders: their home address (the first) under their name. */
function shippingAddresses(plan: SeedPlan) {
  type Columns = Pick<Prisma.OrderCreateManyInput, 'shipName' | 'shipLine1' | 'shipLine2' | 'shipCity' | 'shipPostalCode' | 'shipCountry'>;
  const cache = new Map<number, Columns>();
  return (userIndex: number): Columns => {
    let columns = cache.get(userIndex);
    if (!columns) {
      const [home] = seedAddresses(userIndex);
      if (!home) throw new Error(`Seed user ${userIndex} has no address`);
      columns = {
        shipName: seedUser(userIndex, plan).name,
        shipLine1: home.line1,
        shipLine2: null,
        shipCity: home.city,
        shipPostalCode: home.postalCode,
        shipCountry: home.country,
      };
      cache.set(userIndex, columns);
    }
    return columns;
  };
}

/**
 * One history row per transition that led to the order's status: the steps before the last a minute apart
 * after placement, the last one when the order reached its status. A declined payment cancels a reserved order,
 * a customer cancels a pending one.
 */
function historyOf(order: SeedOrder, index: number): Prisma.OrderStatusChangeCreateManyInput[] {
  const cancelledFrom = order.cancelReason === 'PAYMENT_DECLINED' ? OrderStatus.RESERVED : OrderStatus.PENDING;
  const steps = pathTo(order.status, cancelledFrom);
  return steps.map(([fromStatus, toStatus], k) => ({
    id: nameBasedUuid(STATUS_CHANGE_NAMESPACE, `${index}:${k}`),
    orderId: order.id,
    fromStatus,
    toStatus,
    reason: toStatus === OrderStatus.CANCELLED ? order.cancelReason : null,
    changedAt: k === steps.length - 1 ? order.updatedAt : new Date(order.placedAt.getTime() + (k + 1) * MINUTE_MS),
  }));
}
