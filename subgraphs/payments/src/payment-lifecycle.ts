import { inputError, InputErrorCode, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { z } from 'zod';
import { PaymentStatus, ProviderOperation, type Payment, type PrismaClient } from './database.ts';
import { callProvider, type ProviderAnswer, type ProviderGateway } from './provider-calls.ts';

/**
 * The order saga's side of a payment: authorize when stock is held, capture when the order is paid, void when
 * it is cancelled. Each step is safe to repeat (the saga retries after crashes and timeouts): a step already
 * taken returns the payment as it is, and every provider request of a step uses the same idempotency key, so
 * asking again can never authorize or capture twice.
 */
/** `unanswered`: the provider's answer is unknown (a timeout), nothing changed here, and asking again is safe. */
export type PaymentPayload = { payment: Payment | null; errors: InputError[]; unanswered?: true };

const currencySchema = singleLineText().regex(/^[A-Z]{3}$/, 'Use an ISO 4217 code such as EUR');

const authorizeSchema = z.object({
  orderId: z.uuid(),
  amount: z.number().int().positive(),
  currency: currencySchema,
});

const orderIdSchema = z.object({ orderId: z.uuid() });

/** The provider's idempotency key for one step of one payment: a retry of the step sends the same key. */
const providerKey = (payment: Payment, step: 'authorize' | 'capture' | 'void') => `payment:${payment.id}:${step}`;

/** The answer is unknown, so nothing changed on our side; the message tells the caller a retry is safe. */
function unanswered(path: string[], answer: Extract<ProviderAnswer<unknown>, { answered: false }>, state: PaymentStatus): InputError {
  return inputError(
    path,
    InputErrorCode.INVALID_STATE,
    `The payment provider did not answer (${answer.error}); the payment stays ${state} and retrying is safe`,
  );
}

const wrongState = (path: string[], payment: Payment, action: string) =>
  inputError(path, InputErrorCode.INVALID_STATE, `A ${payment.status} payment cannot be ${action}`);

const reload = (prisma: PrismaClient, payment: Payment) => prisma.payment.findUniqueOrThrow({ where: { id: payment.id } });

/**
 * The order's payment, created PENDING on first use. ON CONFLICT DO NOTHING makes concurrent first calls for
 * one order agree on a single row instead of racing a check against an insert.
 */
async function paymentForOrder(prisma: PrismaClient, data: { orderId: string; amountCents: number; currency: string }): Promise<Payment> {
  await prisma.payment.createMany({ data: [data], skipDuplicates: true });
  return prisma.payment.findUniqueOrThrow({ where: { orderId: data.orderId } });
}

export async function authorizePayment(prisma: PrismaClient, gateway: ProviderGateway, input: unknown): Promise<PaymentPayload> {
  const valid = validateInput(authorizeSchema, input);
  if (!valid.ok) return { payment: null, errors: valid.errors };
  const { orderId, amount, currency } = valid.value;
  const payment = await paymentForOrder(prisma, { orderId, amountCents: amount, currency });
  if (payment.amountCents !== amount || payment.currency !== currency) {
    // The order id is this mutation's idempotency key: the same order with another amount is another request.
    return {
      payment: null,
      errors: [inputError(['input', 'orderId'], InputErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order already has a payment of another amount or currency')],
    };
  }
  if (payment.status !== PaymentStatus.PENDING) return { payment, errors: [] };
  return askForAuthorization(prisma, gateway, payment, ['input']);
}

/**
 * Asks the provider to authorize a PENDING payment (again, after a timeout: the same key makes the provider
 * replay its first answer rather than authorize twice). A decline is an answer, not an error: the payment
 * becomes DECLINED with the provider's reason.
 */
async function askForAuthorization(prisma: PrismaClient, gateway: ProviderGateway, payment: Payment, errorPath: string[]): Promise<PaymentPayload> {
  const answer = await callProvider(prisma, gateway, { paymentId: payment.id, operation: ProviderOperation.AUTHORIZE }, (provider, signal) =>
    provider.authorize(
      { orderId: payment.orderId, amountCents: payment.amountCents, currency: payment.currency },
      { idempotencyKey: providerKey(payment, 'authorize'), signal },
    ),
  );
  if (!answer.answered) return { payment: await reload(prisma, payment), errors: [unanswered(errorPath, answer, PaymentStatus.PENDING)], unanswered: true };
  const { result } = answer;
  if (result.outcome === 'refused') {
    return {
      payment: await reload(prisma, payment),
      errors: [inputError(errorPath, InputErrorCode.INVALID_STATE, `The payment provider refused the authorization: ${result.reason}`)],
    };
  }
  // Guarded by the state so a concurrent retry that got the same (replayed) answer applies it only once.
  await prisma.payment.updateMany({
    where: { id: payment.id, status: PaymentStatus.PENDING },
    data:
      result.outcome === 'approved'
        ? { status: PaymentStatus.AUTHORIZED, providerReference: result.reference }
        : { status: PaymentStatus.DECLINED, providerReference: result.reference, declineReason: result.reason },
  });
  return { payment: await reload(prisma, payment), errors: [] };
}

async function paymentOfOrder(prisma: PrismaClient, args: unknown): Promise<{ payment: Payment } | { errors: InputError[] }> {
  const valid = validateInput(orderIdSchema, args, []);
  if (!valid.ok) return { errors: valid.errors };
  const payment = await prisma.payment.findUnique({ where: { orderId: valid.value.orderId } });
  if (!payment) return { errors: [inputError(['orderId'], InputErrorCode.NOT_FOUND, 'This order has no payment')] };
  return { payment };
}

/** Sends capture or void for an AUTHORIZED payment and applies a success as the given status. */
async function settleAuthorization(
  prisma: PrismaClient,
  gateway: ProviderGateway,
  payment: Payment,
  step: 'capture' | 'void',
): Promise<PaymentPayload> {
  const reference = payment.providerReference;
  if (!reference) return { payment, errors: [inputError(['orderId'], InputErrorCode.INVALID_STATE, 'The payment has no provider reference')] };
  const key = { idempotencyKey: providerKey(payment, step) };
  const answer =
    step === 'capture'
      ? await callProvider(prisma, gateway, { paymentId: payment.id, operation: ProviderOperation.CAPTURE }, (provider, signal) =>
          provider.capture({ reference, amountCents: payment.amountCents }, { ...key, signal }),
        )
      : await callProvider(prisma, gateway, { paymentId: payment.id, operation: ProviderOperation.VOID }, (provider, signal) =>
          provider.void({ reference }, { ...key, signal }),
        );
  if (!answer.answered) return { payment: await reload(prisma, payment), errors: [unanswered(['orderId'], answer, payment.status)], unanswered: true };
  if (answer.result.outcome === 'refused') {
    return {
      payment: await reload(prisma, payment),
      errors: [inputError(['orderId'], InputErrorCode.INVALID_STATE, `The payment provider refused to ${step}: ${answer.result.reason}`)],
    };
  }
  await prisma.payment.updateMany({
    where: { id: payment.id, status: PaymentStatus.AUTHORIZED },
    data: { status: step === 'capture' ? PaymentStatus.CAPTURED : PaymentStatus.VOIDED },
  });
  return { payment: await reload(prisma, payment), errors: [] };
}

/** Captures the full authorized amount. Repeating it after success returns the captured payment. */
export async function capturePayment(prisma: PrismaClient, gateway: ProviderGateway, args: unknown): Promise<PaymentPayload> {
  const found = await paymentOfOrder(prisma, args);
  if ('errors' in found) return { payment: null, errors: found.errors };
  const { payment } = found;
  switch (payment.status) {
    case PaymentStatus.CAPTURED:
    case PaymentStatus.PARTIALLY_REFUNDED:
    case PaymentStatus.REFUNDED:
      return { payment, errors: [] };
    case PaymentStatus.AUTHORIZED:
      return settleAuthorization(prisma, gateway, payment, 'capture');
    default:
      return { payment, errors: [wrongState(['orderId'], payment, 'captured')] };
  }
}

/**
 * Releases the authorization. A PENDING payment may hold one we never heard about (the provider's answer was
 * lost), so it is first asked again with the same key; whatever it held is then voided.
 */
export async function voidPayment(prisma: PrismaClient, gateway: ProviderGateway, args: unknown): Promise<PaymentPayload> {
  const found = await paymentOfOrder(prisma, args);
  if ('errors' in found) return { payment: null, errors: found.errors };
  let { payment } = found;
  if (payment.status === PaymentStatus.PENDING) {
    const asked = await askForAuthorization(prisma, gateway, payment, ['orderId']);
    if (asked.errors.length > 0 || !asked.payment) return asked;
    payment = asked.payment;
  }
  switch (payment.status) {
    case PaymentStatus.VOIDED:
      return { payment, errors: [] };
    case PaymentStatus.AUTHORIZED:
      return settleAuthorization(prisma, gateway, payment, 'void');
    default:
      return { payment, errors: [wrongState(['orderId'], payment, 'voided')] };
  }
}
