import { badUserInput, DateTimeScalar, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { type GraphQLResolverMap } from '@storefront/subgraph-runtime';
import { type RequestContext } from '@storefront/http-host';
import { requireAdmin } from '@storefront/identity';
import type { Payment, PaymentStatus, PrismaClient, Refund } from './database.ts';
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

export const resolvers: GraphQLResolverMap<PaymentsContext> = {
  DateTime: DateTimeScalar,

  Query: {
    /**
     * Admins only for now: a customer may see the payment of their own order, but who owns an order is known
     * to the orders service, not here. Customers reach their payment through Order.payment instead, on an
     * order the orders service has already shown them.
     */
    payment(_: unknown, { id }: { id: string }, { loaders, viewer }: PaymentsContext) {
      requireAdmin(viewer);
      if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
      return loaders.paymentById.load(id);
    },
    async payments(_: unknown, args: PageArgs & { status?: PaymentStatus | null }, { prisma, viewer }: PaymentsContext) {
      requireAdmin(viewer);
      const page = parsePage(args, paymentPosition);
      return toConnection(await listPayments(prisma, page, args.status ?? null), page, paymentPositionOf);
    },
  },

  Mutation: {
    // Service-to-service (inaccessible through the router): the order saga calls them, with no viewer.
    authorizePayment: (_: unknown, { input }: { input: unknown }, { prisma, gateway }: PaymentsContext) =>
      authorizePayment(prisma, gateway, input),
    capturePayment: (_: unknown, args: { orderId: string }, { prisma, gateway }: PaymentsContext) => capturePayment(prisma, gateway, args),
    voidPayment: (_: unknown, args: { orderId: string }, { prisma, gateway }: PaymentsContext) => voidPayment(prisma, gateway, args),
    refundPayment(_: unknown, { input }: { input: unknown }, { prisma, gateway, viewer }: PaymentsContext) {
      requireAdmin(viewer);
      return refundPayment(prisma, gateway, input);
    },
  },

  Order: {
    // Orders are owned by the orders service; here an order is just its id, extended with its payment.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    payment: (order: { id: string }, _: unknown, { loaders }: PaymentsContext) =>
      isUuid(order.id) ? loaders.paymentByOrderId.load(order.id) : null,
  },

  Payment: {
    __resolveReference: (reference: { id: string }, { loaders }: PaymentsContext) =>
      isUuid(reference.id) ? loaders.paymentById.load(reference.id) : null,
    order: (payment: Payment) => ({ id: payment.orderId }),
    amount: (payment: Payment) => money(payment.amountCents, payment.currency),
    refundedAmount: (payment: Payment) => money(payment.refundedCents, payment.currency),
    async refunds(payment: Payment, args: PageArgs, { loaders }: PaymentsContext) {
      const page = parsePage(args, refundPosition);
      return toConnection(await loaders.refundsOfPayment(page).load(payment.id), page, refundPositionOf);
    },
  },

  Refund: {
    amount: (refund: Refund) => money(refund.amountCents, refund.currency),
  },
};
