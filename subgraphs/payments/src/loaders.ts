import { pagedRelationLoader, uniqueLoader } from '@storefront/api-conventions';
import type { PrismaClient } from './database.ts';
import { paymentsByIds, paymentsByOrderIds } from './payments.ts';
import { refundPagesByPayment } from './refunds.ts';

/**
 * Per-request batching over the payments database: every lookup a GraphQL request makes in one tick becomes
 * one SQL statement (e.g. the router asking for the payment of 50 orders). Created fresh for each request.
 */
export function createLoaders(prisma: PrismaClient) {
  return {
    paymentById: uniqueLoader((ids: readonly string[]) => paymentsByIds(prisma, ids), (payment) => payment.id),
    paymentByOrderId: uniqueLoader((orderIds: readonly string[]) => paymentsByOrderIds(prisma, orderIds), (payment) => payment.orderId),
    refundsOfPayment: pagedRelationLoader(refundPagesByPayment.bind(null, prisma)),
  };
}

export type PaymentsLoaders = ReturnType<typeof createLoaders>;
