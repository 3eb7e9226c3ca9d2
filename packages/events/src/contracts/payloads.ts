import { z } from 'zod';

/*
 * Payload schemas, one per (event type, version). A published version is frozen: consumers in other
 * deployments may still read it. A change that is not purely additive-and-optional gets a new version
 * beside the old one (the registry holds both), and producers move to it once every consumer reads it.
 * Payloads carry ids and the facts a consumer needs to act without calling back the producer; they never
 * carry secrets (passwords, tokens, card numbers).
 */

const id = z.uuid();

/** Money as the API shows it: integer minor units and an ISO 4217 code (see subgraphs/orders/src/money.ts). */
export const moneySchema = z.object({
  amount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
});

const quantity = z.number().int().positive();

/** The orders subgraph's order_status enum. */
export const orderStatusSchema = z.enum(['PENDING', 'RESERVED', 'PAID', 'FULFILLED', 'CANCELLED']);

export const orderPlacedV1 = z.object({
  orderId: id,
  userId: id,
  items: z.array(z.object({ purchasableId: id, quantity, unitPrice: moneySchema })).min(1),
  total: moneySchema,
});

export const orderStatusChangedV1 = z.object({
  orderId: id,
  userId: id,
  from: orderStatusSchema,
  to: orderStatusSchema,
  // Why an order was cancelled (the orders subgraph's cancel_reason); null for other transitions.
  reason: z.enum(['CUSTOMER_REQUEST', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'RESERVATION_EXPIRED']).nullable(),
  // Added after v1 was first published, so optional: what a notification or invoice needs without calling back.
  orderNumber: z.string().min(1).max(64).optional(),
  total: moneySchema.optional(),
  // The order's lines, added later still and so optional too: reviews records who bought what from the change
  // to PAID. Events written before the field existed lack it; a consumer that needs it says so and skips them.
  items: z.array(z.object({ purchasableId: id, quantity })).min(1).max(100).optional(),
});

export const productPriceChangedV1 = z.object({
  productId: id,
  previousPrice: moneySchema,
  price: moneySchema,
});

export const stockReservedV1 = z.object({
  orderId: id,
  // When the reservation lapses unless the order is paid; the orders subgraph may schedule a check then.
  expiresAt: z.iso.datetime({ offset: true }),
  items: z.array(z.object({ purchasableId: id, warehouseId: id, quantity })).min(1),
});

export const stockReservationFailedV1 = z.object({
  orderId: id,
  reason: z.enum(['OUT_OF_STOCK', 'UNKNOWN_PURCHASABLE']),
  items: z.array(z.object({ purchasableId: id, requested: quantity, available: z.number().int().nonnegative() })).min(1),
});

export const paymentAuthorizedV1 = z.object({
  paymentId: id,
  orderId: id,
  amount: moneySchema,
});

export const paymentDeclinedV1 = z.object({
  paymentId: id,
  orderId: id,
  amount: moneySchema,
  // A provider-neutral code; the provider's own message stays in the payments database.
  reason: z.enum(['INSUFFICIENT_FUNDS', 'CARD_DECLINED', 'EXPIRED_CARD', 'FRAUD_SUSPECTED', 'PROVIDER_ERROR']),
});

export const reviewPublishedV1 = z.object({
  reviewId: id,
  productId: id,
  userId: id,
  rating: z.number().int().min(1).max(5),
});

// A review removed by its author or an admin; the same fields as its ReviewPublished, so a consumer can take
// back exactly what it counted (or remember the removal when it arrives before the publication).
export const reviewDeletedV1 = reviewPublishedV1;

export const userRegisteredV1 = z.object({
  userId: id,
  // Notifications sends the welcome message to it; the password never leaves accounts.
  email: z.email(),
  name: z.string().min(1),
});

/*
 * The order saga's commands and replies. orders orchestrates: it writes a command to its outbox in the
 * transaction that advances the saga, the owning service's worker applies it (idempotently by order id) and
 * answers with a reply event from its own outbox. Commands are events too: same envelope, same outbox, same
 * at-least-once delivery and de-duplication.
 */
const sagaItems = z.array(z.object({ purchasableId: id, quantity })).min(1).max(100);

/** Why a compensation runs: the orders subgraph's cancel_reason. */
export const compensationReasonSchema = z.enum(['CUSTOMER_REQUEST', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_TIMEOUT', 'RESERVATION_EXPIRED']);

export const stockReservationRequestedV1 = z.object({ orderId: id, items: sagaItems });
export const stockCommitRequestedV1 = z.object({ orderId: id });
export const stockReleaseRequestedV1 = z.object({ orderId: id, reason: compensationReasonSchema });
export const paymentAuthorizationRequestedV1 = z.object({ orderId: id, amount: moneySchema });
export const paymentCaptureRequestedV1 = z.object({ orderId: id });
export const paymentVoidRequestedV1 = z.object({ orderId: id, reason: compensationReasonSchema });

export const stockCommittedV1 = z.object({ orderId: id });
export const stockCommitFailedV1 = z.object({ orderId: id, reason: z.enum(['RESERVATION_EXPIRED', 'NO_RESERVATION']) });
export const stockReleasedV1 = z.object({ orderId: id });
/** The expiry sweep gave a held reservation's units back: the order can no longer be confirmed as is. */
export const stockReservationExpiredV1 = z.object({ orderId: id });

export const paymentCapturedV1 = z.object({ paymentId: id, orderId: id, amount: moneySchema });
/** paymentId is null when the order never had a payment (nothing to void). */
export const paymentVoidedV1 = z.object({ orderId: id, paymentId: id.nullable() });
