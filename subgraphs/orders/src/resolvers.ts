import { badUserInput, DateTimeScalar, inputError, InputErrorCode, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin, requireOwnerOrAdmin, requireViewer } from '@storefront/identity';
import { cancelOrder } from './cancel-order.ts';
import { cartItemPosition, cartItemPositionOf, setCartItem, type PricedCartItem } from './carts.ts';
import type { Order, PrismaClient } from './database.ts';
import type { OrdersLoaders } from './loaders.ts';
import { money, STORE_CURRENCY } from './money.ts';
import { itemPosition, itemPositionOf, listOrders, orderNumber, orderPosition, orderPositionOf } from './orders.ts';
import { placeOrder } from './place-order.ts';
import type { DocumentsContext } from './documents/context.ts';
import type { OrderChangeHub } from './subscriptions/start-feed.ts';
import { orderUpdatedResolvers } from './subscriptions/order-updated.ts';
import { documentMutationResolvers, documentOrderResolvers, documentQueryResolvers, documentTypeResolvers } from './documents/resolvers.ts';
import type { SalesReportSummary } from './documents/sales-reports.ts';

export interface OrdersContext extends RequestContext {
  prisma: PrismaClient;
  loaders: OrdersLoaders;
  /** Invoices and sales reports (src/documents). */
  documents: DocumentsContext;
  /** Committed order changes, for Subscription.orderUpdated (absent where no change feed runs). */
  orderChanges?: OrderChangeHub;
}

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
export type PurchasableParent = { __typename: 'Purchasable'; id: string };
const purchasableReference = (id: string): PurchasableParent => ({ __typename: 'Purchasable', id });

/** A cart line with its cached price (carts.ts). */
export type CartItemParent = PricedCartItem;

/** A report as GraphQL reads it: its row without the CSV itself. */
export type SalesReportParent = SalesReportSummary;

/** Built whole by Order.invoice from the invoice row (its PDF bytes stay out), with a signed download link. */
export type InvoiceParent = { number: string; issuedAt: Date; url: string };

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  // Invoices and sales reports (src/documents): the SalesReport type here, their fields spread into Query, Mutation and Order.
  ...documentTypeResolvers,

  Query: {
    ...documentQueryResolvers,
    order(_, { id }, context) {
      requireViewer(context.viewer);
      return readableOrder(uuidArgument(id, 'id'), context);
    },
    async orders(_, args, { prisma, viewer }) {
      requireAdmin(viewer);
      const page = parsePage(args, orderPosition);
      return toConnection(await listOrders(prisma, page, args.status ?? null), page, orderPositionOf);
    },
    cart(_, __, { viewer, loaders }) {
      return loaders.cartOfUser.load(requireViewer(viewer).userId);
    },
  },

  Mutation: {
    ...documentMutationResolvers,
    setCartItem(_, { input }, { prisma, viewer }) {
      return setCartItem(prisma, requireViewer(viewer).userId, input);
    },
    placeOrder(_, { input }, { prisma, viewer, requestId }) {
      return placeOrder(prisma, requireViewer(viewer).userId, input, requestId);
    },
    async cancelOrder(_, { id }, context) {
      requireViewer(context.viewer);
      const order = await readableOrder(uuidArgument(id, 'id'), context);
      if (!order) return { order: null, errors: [inputError(['id'], InputErrorCode.NOT_FOUND, 'No such order')] };
      return cancelOrder(context.prisma, order, context.requestId);
    },
  },

  Subscription: orderUpdatedResolvers,

  User: {
    // The router resolves a user's order history through _entities: only that user (or an admin) may see it.
    async orders(user, args, { viewer, loaders }) {
      requireOwnerOrAdmin(viewer, user.id);
      const page = parsePage(args, orderPosition);
      const rows = isUuid(user.id) ? await loaders.ordersOfUser({ page, status: args.status ?? null }).load(user.id) : [];
      return toConnection(rows, page, orderPositionOf);
    },
  },

  Order: {
    ...documentOrderResolvers,
    // Payments and notifications name orders by id; the order's details stay its owner's (or an admin's).
    __resolveReference: (reference, context) =>
      isUuid(reference.id) ? readableOrder(reference.id, context) : null,
    number: (order) => orderNumber(order.seq),
    user: (order) => ({ id: order.userId }),
    async items(order, args, { loaders }) {
      const page = parsePage(args, itemPosition);
      return toConnection(await loaders.itemsOfOrder(page).load(order.id), page, itemPositionOf);
    },
    itemCount: (order, _, { loaders }) => loaders.unitsOfOrder.load(order.id),
    checkout: (order, _, { loaders }) => loaders.checkoutOfOrder.load(order.id),
    total: (order) => money(order.totalCents, order.currency),
    shippingAddress: (order) => ({
      name: order.shipName,
      line1: order.shipLine1,
      line2: order.shipLine2,
      city: order.shipCity,
      postalCode: order.shipPostalCode,
      country: order.shipCountry,
    }),
  },

  OrderItem: {
    purchasable: (item) => purchasableReference(item.purchasableId),
    unitPrice: (item) => money(item.unitPriceCents, item.currency),
    lineTotal: (item) => money(item.unitPriceCents * item.quantity, item.currency),
    // Only products ship from a warehouse; the stock level is inventory's, named by its compound key.
    shippedFrom: (item) =>
      item.shippedFromWarehouseId ? { productId: item.purchasableId, warehouseId: item.shippedFromWarehouseId } : null,
  },

  Cart: {
    async items(cart, args, { loaders }) {
      const page = parsePage(args, cartItemPosition);
      return toConnection(await loaders.itemsOfCart(page).load(cart.id), page, cartItemPositionOf);
    },
    itemCount: async (cart, _, { loaders }) => (await loaders.totalsOfCart.load(cart.id))?.units ?? 0,
    async total(cart, _, { loaders }) {
      const totals = await loaders.totalsOfCart.load(cart.id);
      return money(totals?.totalCents ?? 0, totals?.currency ?? STORE_CURRENCY);
    },
  },

  CartItem: {
    purchasable: (item) => purchasableReference(item.purchasableId),
    unitPrice: (item) => money(item.purchasable.priceCents, item.purchasable.currency),
    lineTotal: (item) => money(item.purchasable.priceCents * item.quantity, item.purchasable.currency),
  },
};
