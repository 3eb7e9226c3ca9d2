import DataLoader from 'dataloader';
import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import { cartItemPagesByCart, cartsByUserIds, cartTotalsByCart } from './carts.ts';
import type { OrderSaga, PrismaClient } from './database.ts';
import { itemPagesByOrder, orderPagesByUser, ordersByIds, unitCountsByOrder } from './orders.ts';

/**
 * Per-request batching over the orders database: every lookup a GraphQL request makes in one tick becomes
 * one SQL statement. Created fresh for each request so nothing is cached across users.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    orderById: uniqueLoader((ids: readonly string[]) => ordersByIds(prisma, ids), (order) => order.id),
    ordersOfUser: pagedRelationLoader(orderPagesByUser.bind(null, prisma)),
    itemsOfOrder: pagedRelationLoader(itemPagesByOrder.bind(null, prisma)),
    checkoutOfOrder: new DataLoader<string, OrderSaga | null>(async (ids) => {
      const sagas = await prisma.orderSaga.findMany({ where: { orderId: { in: [...ids] } } });
      const byOrder = new Map(sagas.map((saga) => [saga.orderId, saga]));
      return ids.map((id) => byOrder.get(id) ?? null);
    }),
    unitsOfOrder: new DataLoader<string, number>(async (ids) => {
      const counts = await unitCountsByOrder(prisma, ids);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
    cartOfUser: uniqueLoader((ids: readonly string[]) => cartsByUserIds(prisma, ids), (cart) => cart.userId),
    itemsOfCart: pagedRelationLoader(cartItemPagesByCart.bind(null, prisma)),
    totalsOfCart: uniqueLoader((ids: readonly string[]) => cartTotalsByCart(prisma, ids), (totals) => totals.cartId),
  };
}

export type OrdersLoaders = ReturnType<typeof createLoaders>;
