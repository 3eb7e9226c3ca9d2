import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import { PaymentStatus, type Payment, type Prisma, type PrismaClient } from './database.ts';
import type { LedgerEntry } from './simulated-provider.ts';

/** Payments are listed newest first; the cursor is the last row's (createdAt, id). */
export const paymentPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type PaymentPosition = z.infer<typeof paymentPosition>;

export const paymentPositionOf = (payment: Payment): PaymentPosition => ({ createdAt: payment.createdAt.toISOString(), id: payment.id });

export const PAYMENT_STATUSES = Object.values(PaymentStatus);

/** One page of payments, optionally of one status (served by the (status, created_at, id) index). */
export function listPayments(prisma: PrismaClient, page: Page<PaymentPosition>, status: PaymentStatus | null): Promise<Payment[]> {
  const after = page.after;
  const where: Prisma.PaymentWhereInput = {
    ...(status ? { status } : {}),
    ...(after
      ? { OR: [{ createdAt: { lt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { lt: after.id } }] }
      : {}),
  };
  return prisma.payment.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: page.first + 1 });
}

export function paymentsByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Payment[]> {
  return prisma.payment.findMany({ where: { id: { in: [...ids] } } });
}

export function paymentsByOrderIds(prisma: PrismaClient, orderIds: readonly string[]): Promise<Payment[]> {
  return prisma.payment.findMany({ where: { orderId: { in: [...orderIds] } } });
}

/** Amounts are what the provider captured: the whole authorization once captured, nothing before. */
export function capturedCents(payment: Pick<Payment, 'status' | 'amountCents'>): number {
  switch (payment.status) {
    case PaymentStatus.CAPTURED:
    case PaymentStatus.PARTIALLY_REFUNDED:
    case PaymentStatus.REFUNDED:
      return payment.amountCents;
    default:
      return 0;
  }
}

/** Where our records say the provider stands on a payment's authorization (see SimulatorOptions.recall). */
export function ledgerEntryOf(payment: Payment): LedgerEntry | null {
  if (!payment.providerReference) return null;
  const state = (
    {
      PENDING: null,
      AUTHORIZED: 'authorized',
      DECLINED: 'declined',
      VOIDED: 'voided',
      CAPTURED: 'captured',
      PARTIALLY_REFUNDED: 'captured',
      REFUNDED: 'captured',
    } as const
  )[payment.status];
  if (!state) return null;
  return {
    reference: payment.providerReference,
    orderId: payment.orderId,
    currency: payment.currency,
    state,
    authorizedCents: state === 'declined' ? 0 : payment.amountCents,
    capturedCents: capturedCents(payment),
    refundedCents: payment.refundedCents,
  };
}

export async function recallLedgerEntry(prisma: PrismaClient, reference: string): Promise<LedgerEntry | null> {
  const payment = await prisma.payment.findUnique({ where: { providerReference: reference } });
  return payment && ledgerEntryOf(payment);
}
