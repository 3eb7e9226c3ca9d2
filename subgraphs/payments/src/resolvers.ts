import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import type { Resolvers } from './generated/resolvers-types.ts';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin } from '@storefront/identity';
import type { PrismaClient } from './database.ts';
import type { PaymentsLoaders } from './loaders.ts';
import { authorizePayment, capturePayment, voidPayment } from './payment-lifecycle.ts';
import { listPayments, paymentPosition, paymentPositionOf } from './payments.ts';
import type { ProviderGateway } from './provider-calls.ts';
import { refundPayment, refundPosition, refundPositionOf } from './refunds.ts';

export interface PaymentsContext extends RequestContext {
  prisma: PrismaClient;
  loaders: PaymentsLoaders;
  gateway: ProviderGateway;
}

const money = (amount: number, currency: string) => ({ amount, currency });

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    /**
     * Admins only for now: a customer may see the payment of their own order, but who owns an order is known
     * to the orders service, not here. Customers reach their payment through Order.payment instead, on an
     * order the orders service has already shown them.
     */
    payment(_, { id }, { loaders, viewer }) {
      requireAdmin(viewer);
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return loaders.paymentById.load(id);
    },
    async payments(_, args, { prisma, viewer }) {
      requireAdmin(viewer);
      const page = parsePage(args, paymentPosition);
      return toConnection(await listPayments(prisma, page, args.status ?? null), page, paymentPositionOf);
    },
  },

  Mutation: {
    // Service-to-service (inaccessible through the router): the order saga calls them, with no viewer.
    authorizePayment: (_, { input }, { prisma, gateway }) =>
      authorizePayment(prisma, gateway, input),
    capturePayment: (_, args, { prisma, gateway }) => capturePayment(prisma, gateway, args),
    voidPayment: (_, args, { prisma, gateway }) => voidPayment(prisma, gateway, args),
    refundPayment(_, { input }, { prisma, gateway, viewer }) {
      requireAdmin(viewer);
      return refundPayment(prisma, gateway, input);
    },
  },

  Order: {
    // Orders are owned by the orders service; here an order is just its id, extended with its payment.
    __resolveReference: (reference) => ({ id: reference.id }),
    payment: (order, _, { loaders }) =>
      isUuid(order.id) ? loaders.paymentByOrderId.load(order.id) : null,
  },

  Payment: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.paymentById.load(reference.id) : null,
    order: (payment) => ({ id: payment.orderId }),
    amount: (payment) => money(payment.amountCents, payment.currency),
    refundedAmount: (payment) => money(payment.refundedCents, payment.currency),
    async refunds(payment, args, { loaders }) {
      const page = parsePage(args, refundPosition);
      return toConnection(await loaders.refundsOfPayment(page).load(payment.id), page, refundPositionOf);
    },
  },

  Refund: {
    amount: (refund) => money(refund.amountCents, refund.currency),
  },
};
