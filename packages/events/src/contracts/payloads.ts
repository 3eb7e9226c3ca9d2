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

export const userRegisteredV1 = z.object({
  userId: id,
  // Notifications sends the welcome message to it; the password never leaves accounts.
  email: z.email(),
  name: z.string().min(1),
});
