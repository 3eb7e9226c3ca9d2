import { idempotencyKeySchema, inputError, InputErrorCode, requestFingerprint, singleLineText, validateInput, type InputError, type Page } from '@storefront/api-conventions';
import { z } from 'zod';
import { PaymentStatus, ProviderOperation, RefundStatus, type Payment, type PrismaClient, type Refund } from './database.ts';
import { callProvider, type ProviderGateway } from './provider-calls.ts';

/** A payment's refunds are listed oldest first; the cursor is (createdAt, id). */
export const refundPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });
export type RefundPosition = z.infer<typeof refundPosition>;

export const refundPositionOf = (refund: Refund): RefundPosition => ({ createdAt: refund.createdAt.toISOString(), id: refund.id });

/** Refunds still waiting for the provider's answer are not shown: their outcome is not known yet. */
const SETTLED = [RefundStatus.SUCCEEDED, RefundStatus.FAILED];

/** The same page of several payments' refunds in one SQL statement (a lateral join per payment). */
export async function refundPagesByPayment(
  prisma: PrismaClient,
  paymentIds: readonly string[],
  page: Page<RefundPosition>,
): Promise<Map<string, Refund[]>> {
  const after = page.after;
  const payments = await prisma.payment.findMany({
    where: { id: { in: [...paymentIds] } },
    relationLoadStrategy: 'join',
    select: {
      id: true,
      refunds: {
        where: {
          status: { in: SETTLED },
          ...(after
            ? { OR: [{ createdAt: { gt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { gt: after.id } }] }
            : {}),
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: page.first + 1,
      },
    },
  });
  return new Map(payments.map((payment) => [payment.id, payment.refunds]));
}

export type RefundPayload = { refund: Refund | null; payment: Payment | null; errors: InputError[] };

const refundSchema = z.object({
  paymentId: z.uuid(),
  amount: z.number().int().positive(),
  reason: singleLineText().trim().min(1).max(500),
  idempotencyKey: idempotencyKeySchema,
});

type RefundRequest = Omit<z.infer<typeof refundSchema>, 'idempotencyKey'>;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

const REFUNDABLE = [PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED] as const;

/**
 * Refunds part or all of a captured payment. The amount is reserved on the payment row by one conditional
 * UPDATE before the provider is asked, so concurrent refunds can never add up to more than was captured;
 * the reservation becomes refunded on success and is released on refusal. Retrying with the same
 * idempotency key returns the first refund (or, if the provider never answered, asks it again with the same
 * key, so it cannot refund twice).
 */
export async function refundPayment(prisma: PrismaClient, gateway: ProviderGateway, input: unknown): Promise<RefundPayload> {
  const valid = validateInput(refundSchema, input);
  if (!valid.ok) return { refund: null, payment: null, errors: valid.errors };
  const { idempotencyKey, ...request } = valid.value;
  const fingerprint = requestFingerprint(request);
  let refund = await prisma.refund.findUnique({ where: { idempotencyKey } });
  if (!refund) {
    const opened = await openRefund(prisma, request, idempotencyKey, fingerprint);
    if ('errors' in opened) return { refund: null, payment: null, errors: opened.errors };
    refund = opened.refund;
  }
  if (refund.requestFingerprint !== fingerprint) {
    return {
      refund: null,
      payment: null,
      errors: [inputError(['input', 'idempotencyKey'], InputErrorCode.IDEMPOTENCY_KEY_REUSED, 'This key was used for another refund')],
    };
  }
  if (refund.status !== RefundStatus.PENDING) return { refund, payment: await paymentOf(prisma, refund), errors: [] };
  return sendRefund(prisma, gateway, refund);
}

const paymentOf = (prisma: PrismaClient, refund: Refund) => prisma.payment.findUniqueOrThrow({ where: { id: refund.paymentId } });

/** Reserves the amount and records the PENDING refund in one transaction; either both happen or neither. */
async function openRefund(
  prisma: PrismaClient,
  request: RefundRequest,
  idempotencyKey: string,
  fingerprint: string,
): Promise<{ refund: Refund } | { errors: InputError[] }> {
  const { paymentId, amount, reason } = request;
  try {
    const refund = await prisma.$transaction(async (tx) => {
      const reserved = await tx.$queryRaw<Array<{ currency: string }>>`
        UPDATE payments
           SET refund_pending_cents = refund_pending_cents + ${amount}::int, updated_at = now()
         WHERE id = ${paymentId}::uuid
           AND status IN ('CAPTURED', 'PARTIALLY_REFUNDED')
           AND amount_cents - refunded_cents - refund_pending_cents >= ${amount}::int
        RETURNING currency`;
      const currency = reserved[0]?.currency;
      if (currency === undefined) return null;
      return tx.refund.create({
        data: { paymentId, amountCents: amount, currency, reason, idempotencyKey, requestFingerprint: fingerprint },
      });
    });
    return refund ? { refund } : { errors: [await whyNotRefundable(prisma, paymentId)] };
  } catch (error) {
    // A concurrent request with the same key won; its refund is the answer (its reservation stands, ours rolled back).
    if (!isUniqueViolation(error)) throw error;
    return { refund: await prisma.refund.findUniqueOrThrow({ where: { idempotencyKey } }) };
  }
}

async function whyNotRefundable(prisma: PrismaClient, paymentId: string): Promise<InputError> {
  const payment = await prisma.payment.findUnique({ where: { id: paymentId } });
  if (!payment) return inputError(['input', 'paymentId'], InputErrorCode.NOT_FOUND, 'No such payment');
  if (!(REFUNDABLE as readonly PaymentStatus[]).includes(payment.status)) {
    return inputError(['input', 'paymentId'], InputErrorCode.INVALID_STATE, `A ${payment.status} payment cannot be refunded`);
  }
  const remaining = payment.amountCents - payment.refundedCents - payment.refundPendingCents;
  return inputError(['input', 'amount'], InputErrorCode.TOO_BIG, `At most ${remaining} can still be refunded`);
}

/** Asks the provider for a PENDING refund and settles it with the answer; no answer leaves it PENDING. */
async function sendRefund(prisma: PrismaClient, gateway: ProviderGateway, refund: Refund): Promise<RefundPayload> {
  const payment = await paymentOf(prisma, refund);
  const reference = payment.providerReference;
  const answer = reference
    ? await callProvider(prisma, gateway, { paymentId: payment.id, operation: ProviderOperation.REFUND }, (provider, signal) =>
        provider.refund({ reference, amountCents: refund.amountCents }, { idempotencyKey: `refund:${refund.id}`, signal }),
      )
    : ({ answered: true, result: { outcome: 'refused', reason: 'unknown_reference' } } as const);
  if (!answer.answered) {
    return {
      refund: null,
      payment,
      errors: [
        inputError(
          ['input', 'idempotencyKey'],
          InputErrorCode.INVALID_STATE,
          `The payment provider did not answer (${answer.error}); retry with the same idempotencyKey to learn the outcome`,
        ),
      ],
    };
  }
  const { result } = answer;
  await prisma.$transaction(async (tx) => {
    // Lock the payment before the refund, in the same order openRefund takes them (payment, then refund
    // key); the other order deadlocks against a concurrent first request for the same key.
    await tx.$executeRaw`SELECT 1 FROM payments WHERE id = ${refund.paymentId}::uuid FOR UPDATE`;
    // Only the first settlement of this refund moves money on our side; a concurrent retry finds it settled.
    const { count } = await tx.refund.updateMany({
      where: { id: refund.id, status: RefundStatus.PENDING },
      data:
        result.outcome === 'succeeded'
          ? { status: RefundStatus.SUCCEEDED, providerReference: result.reference }
          : { status: RefundStatus.FAILED },
    });
    if (count === 0) return;
    if (result.outcome === 'succeeded') {
      await tx.$executeRaw`
        UPDATE payments
           SET refunded_cents = refunded_cents + ${refund.amountCents}::int,
               refund_pending_cents = refund_pending_cents - ${refund.amountCents}::int,
               status = CASE WHEN refunded_cents + ${refund.amountCents}::int >= amount_cents
                             THEN 'REFUNDED'::payment_status ELSE 'PARTIALLY_REFUNDED'::payment_status END,
               updated_at = now()
         WHERE id = ${refund.paymentId}::uuid`;
    } else {
      await tx.$executeRaw`
        UPDATE payments
           SET refund_pending_cents = refund_pending_cents - ${refund.amountCents}::int, updated_at = now()
         WHERE id = ${refund.paymentId}::uuid`;
    }
  });
  const [settled, updated] = await Promise.all([
    prisma.refund.findUniqueOrThrow({ where: { id: refund.id } }),
    paymentOf(prisma, refund),
  ]);
  return { refund: settled, payment: updated, errors: [] };
}
