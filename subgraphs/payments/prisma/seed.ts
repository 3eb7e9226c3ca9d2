import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid, requestFingerprint } from '@storefront/api-conventions';
import { randomFor, SeedNamespace, seedOrders, type SeedOrder, type SeedPlan } from '@storefront/seed-world';
import { chunks } from '@storefront/prisma-tools';
import { PaymentStatus, PrismaClient, RefundStatus, type Prisma } from '../src/database.ts';

const SECOND_MS = 1_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** About one fulfilled order in fifty was refunded afterwards, partly or fully. */
const REFUND_RATE = 0.02;
const REFUND_REASONS = ['Item arrived damaged', 'Customer changed their mind', 'Late delivery goodwill', 'Wrong item shipped'] as const;

/** The simulator's reference format (pi_sim_ + 24 hex digits), derived from the payment id. */
const referenceOf = (prefix: 'pi' | 're', id: string) => `${prefix}_sim_${id.replace(/-/g, '').slice(0, 24)}`;

/** How the order's status leaves its payment, following the saga: authorized on reservation, captured when paid. */
function paymentStatusOf(order: SeedOrder): PaymentStatus | null {
  switch (order.status) {
    case 'PENDING':
      return null;
    case 'RESERVED':
      return PaymentStatus.AUTHORIZED;
    case 'PAID':
    case 'FULFILLED':
      return PaymentStatus.CAPTURED;
    case 'CANCELLED':
      return order.cancelReason === 'PAYMENT_DECLINED' ? PaymentStatus.DECLINED : PaymentStatus.VOIDED;
  }
}

type PaymentRow = Prisma.PaymentCreateManyInput;
type RefundRow = Prisma.RefundCreateManyInput;

function refundOf(index: number, order: SeedOrder, paymentId: string): RefundRow | null {
  if (order.status !== 'FULFILLED') return null;
  const random = randomFor('payment-refund', index);
  if (random() >= REFUND_RATE) return null;
  const total = order.totalCents;
  const full = total < 2 || random() < 0.4;
  const amountCents = full ? total : Math.min(total - 1, Math.max(1, Math.round(total * (0.1 + random() * 0.8))));
  const reason = REFUND_REASONS[Math.floor(random() * REFUND_REASONS.length)] ?? REFUND_REASONS[0];
  const id = nameBasedUuid(SeedNamespace.refund, index);
  return {
    id,
    paymentId,
    amountCents,
    currency: order.currency,
    reason,
    status: RefundStatus.SUCCEEDED,
    providerReference: referenceOf('re', id),
    idempotencyKey: `seed-refund-${index}`,
    // The fingerprint refundPayment computes, so replaying the key with the same input returns this refund.
    requestFingerprint: requestFingerprint({ paymentId, amount: amountCents, reason }),
    createdAt: new Date(order.updatedAt.getTime() + (1 + Math.floor(random() * 14)) * DAY_MS),
  };
}

function paymentOf(index: number, order: SeedOrder): { payment: PaymentRow; refund: RefundRow | null } | null {
  const status = paymentStatusOf(order);
  if (!status) return null;
  const id = nameBasedUuid(SeedNamespace.payment, index);
  // Authorized a minute after the order was placed (once stock was held), settled when the order moved on.
  const createdAt = new Date(order.placedAt.getTime() + 60 * SECOND_MS);
  const settledAt =
    status === PaymentStatus.CAPTURED
      ? new Date(order.placedAt.getTime() + HOUR_MS)
      : status === PaymentStatus.VOIDED
        ? order.updatedAt
        : new Date(createdAt.getTime() + 2 * SECOND_MS);
  const payment: PaymentRow = {
    id,
    orderId: order.id,
    status,
    amountCents: order.totalCents,
    currency: order.currency,
    // Columns left at their defaults are left out: createMany's cost grows with every value it serializes.
    ...(status === PaymentStatus.DECLINED ? { declineReason: 'card_declined' } : {}),
    providerReference: referenceOf('pi', id),
    createdAt,
    updatedAt: settledAt,
  };
  const refund = refundOf(index, order, id);
  if (refund) {
    payment.refundedCents = refund.amountCents;
    payment.status = refund.amountCents >= order.totalCents ? PaymentStatus.REFUNDED : PaymentStatus.PARTIALLY_REFUNDED;
    payment.updatedAt = refund.createdAt;
  }
  return { payment, refund };
}

/**
 * Replaces the payments data: one payment per order that got as far as asking for one (every order but the
 * PENDING ones), in the state the order's status implies, and a refund for about 2% of fulfilled orders.
 * Everything derives from the shared seed world's orders, so amounts match what orders seeds.
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const payments: PaymentRow[] = [];
    const refunds: RefundRow[] = [];
    let index = 0;
    for (const order of seedOrders(plan)) {
      const rows = paymentOf(index, order);
      index += 1;
      if (!rows) continue;
      payments.push(rows.payment);
      if (rows.refund) refunds.push(rows.refund);
    }
    await prisma.$transaction([prisma.providerCall.deleteMany(), prisma.refund.deleteMany(), prisma.payment.deleteMany()]);
    for (const batch of chunks(payments)) await prisma.payment.createMany({ data: batch });
    for (const batch of chunks(refunds)) await prisma.refund.createMany({ data: batch });
    log(`${payments.length} payments, ${refunds.length} refunds`);
  } finally {
    await prisma.$disconnect();
  }
}
