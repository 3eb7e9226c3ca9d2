import { defineEvent, type DomainEvent, writeToOutbox } from '@storefront/events';
import { UnrecoverableError } from 'bullmq';
import { type Payment, PaymentStatus, type Prisma, type PrismaClient } from './database.ts';
import { authorizePayment, type PaymentPayload, voidPayment } from './payment-lifecycle.ts';
import { type ProviderGateway } from './provider-calls.ts';

/*
 * payments' side of the checkout saga: authorize, capture and void on orders' command, each idempotent per
 * order (the order id keys the payment, and every provider request of a step repeats the same idempotency
 * key), answered by a reply event in payments' outbox, written with the record that the command was handled.
 *
 * When the provider does not answer, the handler throws: BullMQ retries with exponential backoff, asking the
 * provider again under the same key. The saga does not wait for ever: past its payment deadline it cancels
 * the order and asks for a void, which first settles what the provider did (same key) and then voids it.
 */

type Tx = Prisma.TransactionClient;
const SOURCE = 'payments';

/** The provider did not answer in time: nothing changed on our side and asking again is safe. */
export class ProviderUnanswered extends Error {
  override name = 'ProviderUnanswered';
}

/** Sorts a step's result: the payment if it reached one of `reached`, else retry or give up. */
function outcome(result: PaymentPayload, reached: readonly PaymentStatus[]): Payment {
  if (result.payment && reached.includes(result.payment.status)) return result.payment;
  const message = result.errors.map((error) => error.message).join('; ') || `payment is ${result.payment?.status ?? 'missing'}`;
  if (result.unanswered) throw new ProviderUnanswered(message);
  throw new UnrecoverableError(message);
}

const DECLINE_REASONS = { card_declined: 'CARD_DECLINED', insufficient_funds: 'INSUFFICIENT_FUNDS' } as const;

function declineReason(payment: Payment): DomainEvent<'PaymentDeclined'>['payload']['reason'] {
  return DECLINE_REASONS[payment.declineReason as keyof typeof DECLINE_REASONS] ?? 'PROVIDER_ERROR';
}

export function authorizeForOrder(prisma: PrismaClient, gateway: ProviderGateway, event: DomainEvent<'PaymentAuthorizationRequested'>): Promise<PaymentPayload> {
  const { orderId, amount } = event.payload;
  return authorizePayment(prisma, gateway, { orderId, amount: amount.amount, currency: amount.currency });
}

export async function replyToAuthorization(tx: Tx, event: DomainEvent<'PaymentAuthorizationRequested'>, result: PaymentPayload): Promise<void> {
  const { orderId, amount } = event.payload;
  const refusedOutright = !result.payment && result.errors.length > 0;
  if (refusedOutright) throw new UnrecoverableError(result.errors.map((error) => error.message).join('; '));
  const payment = outcome(result, [PaymentStatus.AUTHORIZED, PaymentStatus.DECLINED, PaymentStatus.CAPTURED, PaymentStatus.VOIDED]);
  const reply = { source: SOURCE, aggregateId: orderId, correlationId: event.correlationId, version: 1 } as const;
  if (payment.status === PaymentStatus.DECLINED) {
    await writeToOutbox(tx, defineEvent({ ...reply, type: 'PaymentDeclined', payload: { paymentId: payment.id, orderId, amount, reason: declineReason(payment) } }));
    return;
  }
  // AUTHORIZED, or already further along after a redelivery: the authorization happened.
  await writeToOutbox(tx, defineEvent({ ...reply, type: 'PaymentAuthorized', payload: { paymentId: payment.id, orderId, amount } }));
}

export async function replyToCapture(tx: Tx, event: DomainEvent<'PaymentCaptureRequested'>, result: PaymentPayload): Promise<void> {
  const { orderId } = event.payload;
  const payment = outcome(result, [
    PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
  ]);
  await writeToOutbox(
    tx,
    defineEvent({
      source: SOURCE,
      aggregateId: orderId,
      correlationId: event.correlationId,
      version: 1,
      type: 'PaymentCaptured',
      payload: { paymentId: payment.id, orderId, amount: { amount: payment.amountCents, currency: payment.currency } },
    }),
  );
}

/** Voids what the order's payment holds; resolves to the payment id (null when the order has none). */
export async function voidForOrder(prisma: PrismaClient, gateway: ProviderGateway, event: DomainEvent<'PaymentVoidRequested'>): Promise<string | null> {
  const { orderId } = event.payload;
  const existing = await prisma.payment.findUnique({ where: { orderId } });
  if (!existing) return null;
  // Declined or already voided: nothing is held. Otherwise void (a PENDING one is settled with the provider first).
  if (existing.status !== PaymentStatus.DECLINED && existing.status !== PaymentStatus.VOIDED) {
    const result = await voidPayment(prisma, gateway, { orderId });
    if (!(result.payment && (result.payment.status === PaymentStatus.DECLINED || result.payment.status === PaymentStatus.VOIDED))) {
      outcome(result, [PaymentStatus.VOIDED]);
    }
  }
  return existing.id;
}

export async function replyToVoid(tx: Tx, event: DomainEvent<'PaymentVoidRequested'>, paymentId: string | null): Promise<void> {
  const { orderId } = event.payload;
  await writeToOutbox(
    tx,
    defineEvent({ source: SOURCE, aggregateId: orderId, correlationId: event.correlationId, version: 1, type: 'PaymentVoided', payload: { orderId, paymentId } }),
  );
}
