import { badUserInput, DateTimeScalar, inputError, InputErrorCode, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin, requireOwnerOrAdmin, requireViewer } from '@storefront/identity';
import { cancelOrder } from './cancel-order.ts';
import { cartItemPosition, cartItemPositionOf, setCartItem, type PricedCartItem } from './carts.ts';
import type { Cart, Order, OrderItem, OrderStatus, PrismaClient } from './database.ts';
import type { OrdersLoaders } from './loaders.ts';
import { money, STORE_CURRENCY } from './money.ts';
import { itemPosition, itemPositionOf, listOrders, orderNumber, orderPosition, orderPositionOf } from './orders.ts';
import { placeOrder } from './place-order.ts';
import type { DocumentsContext } from './documents/context.ts';
import type { OrderChangeHub } from './subscriptions/start-feed.ts';
import { orderUpdatedResolvers } from './subscriptions/order-updated.ts';
import { documentMutationResolvers, documentOrderResolvers, documentQueryResolvers, documentTypeResolvers } from './documents/resolvers.ts';

export interface OrdersContext extends RequestContext {
  prisma: PrismaClient;
  loaders: OrdersLoaders;
  /** Invoices and sales reports (src/documents). */
  documents: DocumentsContext;
  /** Committed order changes, for Subscription.orderUpdated (absent where no change feed runs). */
  orderChanges?: OrderChangeHub;
}

type OrdersArgs = PageArgs & { status?: OrderStatus | null };

function uuidArgument(value: string, argument: string): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, argument);
  return value;
}

/** An order the viewer may see: its owner's or, for admins, anyone's. Missing orders are null. */
async function readableOrder(id: string, { loaders, viewer }: OrdersContext): Promise<Order | null> {
  const order = await loaders.orderById.load(id);
  if (order) requireOwnerOrAdmin(viewer, order.userId);
  return order;
}

/** Purchasable is an @interfaceObject here: the router asks catalog which kind the id is. */
const purchasableReference = (id: string) => ({ __typename: 'Purchasable' as const, id });

export const resolvers: GraphQLResolverMap<OrdersContext> = {
  DateTime: DateTimeScalar,
  // Invoices and sales reports (src/documents): the SalesReport type here, their fields spread into Query, Mutation and Order.
  ...documentTypeResolvers,

  Query: {
    ...documentQueryResolvers,
    order(_: unknown, { id }: { id: string }, context: OrdersContext) {
      requireViewer(context.viewer);
      return readableOrder(uuidArgument(id, 'id'), context);
    },
    async orders(_: unknown, args: OrdersArgs, { prisma, viewer }: OrdersContext) {
      requireAdmin(viewer);
      const page = parsePage(args, orderPosition);
      return toConnection(await listOrders(prisma, page, args.status ?? null), page, orderPositionOf);
    },
    cart(_: unknown, __: unknown, { viewer, loaders }: OrdersContext) {
      return loaders.cartOfUser.load(requireViewer(viewer).userId);
    },
  },

  Mutation: {
    ...documentMutationResolvers,
    setCartItem(_: unknown, { input }: { input: unknown }, { prisma, viewer }: OrdersContext) {
      return setCartItem(prisma, requireViewer(viewer).userId, input);
    },
    placeOrder(_: unknown, { input }: { input: unknown }, { prisma, viewer, requestId }: OrdersContext) {
      return placeOrder(prisma, requireViewer(viewer).userId, input, requestId);
    },
    async cancelOrder(_: unknown, { id }: { id: string }, context: OrdersContext) {
      requireViewer(context.viewer);
      const order = await readableOrder(uuidArgument(id, 'id'), context);
      if (!order) return { order: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such order')] };
      return cancelOrder(context.prisma, order, context.requestId);
    },
  },

  Subscription: orderUpdatedResolvers,

  User: {
    // The router resolves a user's order history through _entities: only that user (or an admin) may see it.
    async orders(user: { id: string }, args: OrdersArgs, { viewer, loaders }: OrdersContext) {
      requireOwnerOrAdmin(viewer, user.id);
      const page = parsePage(args, orderPosition);
      const rows = isUuid(user.id) ? await loaders.ordersOfUser({ page, status: args.status ?? null }).load(user.id) : [];
      return toConnection(rows, page, orderPositionOf);
    },
  },

  Order: {
    ...documentOrderResolvers,
    // Payments and notifications name orders by id; the order's details stay its owner's (or an admin's).
    __resolveReference: (reference: { id: string }, context: OrdersContext) =>
      isUuid(reference.id) ? readableOrder(reference.id, context) : null,
    number: (order: Order) => orderNumber(order.seq),
    user: (order: Order) => ({ id: order.userId }),
    async items(order: Order, args: PageArgs, { loaders }: OrdersContext) {
      const page = parsePage(args, itemPosition);
      return toConnection(await loaders.itemsOfOrder(page).load(order.id), page, itemPositionOf);
    },
    itemCount: (order: Order, _: unknown, { loaders }: OrdersContext) => loaders.unitsOfOrder.load(order.id),
    checkout: (order: Order, _: unknown, { loaders }: OrdersContext) => loaders.checkoutOfOrder.load(order.id),
    total: (order: Order) => money(order.totalCents, order.currency),
    shippingAddress: (order: Order) => ({
      name: order.shipName,
      line1: order.shipLine1,
      line2: order.shipLine2,
      city: order.shipCity,
      postalCode: order.shipPostalCode,
      country: order.shipCountry,
    }),
  },

  OrderItem: {
    purchasable: (item: OrderItem) => purchasableReference(item.purchasableId),
    unitPrice: (item: OrderItem) => money(item.unitPriceCents, item.currency),
    lineTotal: (item: OrderItem) => money(item.unitPriceCents * item.quantity, item.currency),
    // Only products ship from a warehouse; the stock level is inventory's, named by its compound key.
    shippedFrom: (item: OrderItem) =>
      item.shippedFromWarehouseId ? { productId: item.purchasableId, warehouseId: item.shippedFromWarehouseId } : null,
  },

  Cart: {
    async items(cart: Cart, args: PageArgs, { loaders }: OrdersContext) {
      const page = parsePage(args, cartItemPosition);
      return toConnection(await loaders.itemsOfCart(page).load(cart.id), page, cartItemPositionOf);
    },
    itemCount: async (cart: Cart, _: unknown, { loaders }: OrdersContext) => (await loaders.totalsOfCart.load(cart.id))?.units ?? 0,
    async total(cart: Cart, _: unknown, { loaders }: OrdersContext) {
      const totals = await loaders.totalsOfCart.load(cart.id);
      return money(totals?.totalCents ?? 0, totals?.currency ?? STORE_CURRENCY);
    },
  },

  CartItem: {
    purchasable: (item: PricedCartItem) => purchasableReference(item.purchasableId),
    unitPrice: (item: PricedCartItem) => money(item.purchasable.priceCents, item.purchasable.currency),
    lineTotal: (item: PricedCartItem) => money(item.purchasable.priceCents * item.quantity, item.purchasable.currency),
  },
};
