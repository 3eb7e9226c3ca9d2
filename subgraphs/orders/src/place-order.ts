import { idempotencyKeySchema, inputError, InputErrorCode, requestFingerprint, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { writeToOutbox } from '@storefront/events';
import { z } from 'zod';
import { isCountryCode } from './countries.ts';
import { TRANSACTION_OPTIONS, type Db, type Order, type Prisma, type PrismaClient, type Purchasable } from './database.ts';
import { MAX_AMOUNT } from './money.ts';
import { orderPlacedEvent } from './order-events.ts';
import { startOrderSaga } from './saga/order-saga.ts';
import { purchasablesByIds } from './purchasables.ts';

export const MAX_ORDER_ITEMS = 50;
export const MAX_QUANTITY = 99;

const itemSchema = z.object({
  purchasableId: z.uuid(),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
});

const itemsSchema = z
  .array(itemSchema)
  .min(1)
  .max(MAX_ORDER_ITEMS)
  .superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.purchasableId)) {
        ctx.addIssue({ code: 'custom', path: [i, 'purchasableId'], message: 'Listed twice: give each purchasable once, with its total quantity' });
      }
      seen.add(item.purchasableId);
    });
  });

const line = (max: number) => singleLineText().trim().min(1).max(max);

export const shippingAddressSchema = z.object({
  name: line(200),
  line1: line(200),
  // GraphQL sends null for an omitted line2; a blank one means the same.
  line2: singleLineText().trim().max(200).nullish().transform((value) => value || null),
  city: line(100),
  postalCode: line(16),
  country: singleLineText().refine(isCountryCode, 'Use an ISO 3166-1 alpha-2 code such as DE'),
});

const placeOrderSchema = z.object({
  idempotencyKey: idempotencyKeySchema,
  items: itemsSchema.nullish(),
  shippingAddress: shippingAddressSchema,
});

type OrderLine = z.infer<typeof itemSchema>;
type ShippingAddress = z.infer<typeof shippingAddressSchema>;

export interface PlaceOrderResult {
  order: Order | null;
  replayed: boolean;
  errors: InputError[];
}

const refused = (...errors: InputError[]): PlaceOrderResult => ({ order: null, replayed: false, errors });

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

/**
 * Places an order for the viewer at the replica's current prices: from the listed items, or else from the
 * cart (which is then emptied), all in one transaction.
 *
 * Idempotency: the (user_id, idempotency_key) unique constraint admits one order per key. A retry finds it
 * and replays it when the input's fingerprint matches (IDEMPOTENCY_KEY_REUSED otherwise); a concurrent duplicate
 * that loses the insert race gets the unique violation, and then finds the winner's committed order.
 *
 * The order's OrderPlaced event is written to the outbox in the same transaction (`correlationId`: the request
 * id, so the work it causes can be traced back to this request).
 */
export async function placeOrder(prisma: PrismaClient, userId: string, input: unknown, correlationId: string | null = null): Promise<PlaceOrderResult> {
  const valid = validateInput(placeOrderSchema, input);
  if (!valid.ok) return refused(...valid.errors);
  const { idempotencyKey, items, shippingAddress } = valid.value;
  // Over the validated (trimmed) input, so whitespace a client adds on retry does not count as different input.
  const fingerprint = requestFingerprint({ items: items ?? null, shippingAddress });
  const request: Request = { userId, idempotencyKey, fingerprint, items: items ?? null, shippingAddress, correlationId };

  const earlier = await replayOf(prisma, request);
  if (earlier) return earlier;
  try {
    return await prisma.$transaction((tx) => placeInTransaction(tx, request), TRANSACTION_OPTIONS);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const winner = await replayOf(prisma, request);
    if (winner) return winner;
    throw error;
  }
}

interface Request {
  userId: string;
  idempotencyKey: string;
  fingerprint: string;
  items: OrderLine[] | null;
  shippingAddress: ShippingAddress;
  correlationId: string | null;
}

/** The answer to a retry of `request`, or null when its key has not been used yet. */
async function replayOf(db: Db, { userId, idempotencyKey, fingerprint }: Request): Promise<PlaceOrderResult | null> {
  const order = await db.order.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } });
  if (!order) return null;
  if (order.requestFingerprint !== fingerprint) {
    return refused(
      inputError(['input', 'idempotencyKey'], InputErrorCode.IDEMPOTENCY_KEY_REUSED, 'This key was already used for a different order'),
    );
  }
  return { order, replayed: true, errors: [] };
}

async function placeInTransaction(tx: Prisma.TransactionClient, request: Request): Promise<PlaceOrderResult> {
  let lines: OrderLine[];
  let cartId: string | null = null;
  if (request.items) {
    lines = request.items;
  } else {
    const cart = await lockedCartLines(tx, request.userId);
    // A same-key checkout of this cart that held the lock before us has committed by now: replay it rather
    // than report the cart it emptied.
    const earlier = await replayOf(tx, request);
    if (earlier) return earlier;
    if (!cart || cart.lines.length === 0) {
      return refused(inputError(['input', 'items'], InputErrorCode.INVALID_STATE, 'Your cart is empty: add items or list them here'));
    }
    lines = cart.lines;
    cartId = cart.id;
  }

  const priced = priceLines(lines, await purchasablesByIds(tx, lines.map((l) => l.purchasableId)));
  if (!priced.ok) return refused(...priced.errors);

  const { shippingAddress: address } = request;
  const order = await tx.order.create({
    data: {
      userId: request.userId,
      totalCents: priced.totalCents,
      currency: priced.currency,
      shipName: address.name,
      shipLine1: address.line1,
      shipLine2: address.line2,
      shipCity: address.city,
      shipPostalCode: address.postalCode,
      shipCountry: address.country,
      idempotencyKey: request.idempotencyKey,
      requestFingerprint: request.fingerprint,
      items: { createMany: { data: priced.items } },
    },
  });
  await writeToOutbox(tx, orderPlacedEvent(order, priced.items, request.correlationId));
  await startOrderSaga(tx, order, priced.items, request.correlationId);
  if (cartId) {
    await tx.cartItem.deleteMany({ where: { cartId } });
    await tx.cart.update({ where: { id: cartId }, data: { updatedAt: order.placedAt } });
  }
  return { order, replayed: false, errors: [] };
}

/** The viewer's cart lines, with the cart row locked until commit (concurrent checkouts and edits queue). */
async function lockedCartLines(tx: Prisma.TransactionClient, userId: string): Promise<{ id: string; lines: OrderLine[] } | null> {
  const [cart] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM carts WHERE user_id = ${userId}::uuid FOR UPDATE`;
  if (!cart) return null;
  const lines = await tx.cartItem.findMany({
    where: { cartId: cart.id },
    orderBy: { purchasableId: 'asc' },
    select: { purchasableId: true, quantity: true },
  });
  return { id: cart.id, lines };
}

type Priced =
  | {
      ok: true;
      totalCents: number;
      currency: string;
      items: Array<{ position: number; purchasableId: string; quantity: number; unitPriceCents: number; currency: string }>;
    }
  | { ok: false; errors: InputError[] };

/** Prices each line from the replica; every line must exist and all must share one currency (an order has one total). */
export function priceLines(lines: readonly OrderLine[], purchasables: readonly Purchasable[]): Priced {
  const byId = new Map(purchasables.map((p) => [p.id, p]));
  // The first known line sets the order's currency.
  const currency = lines.map((l) => byId.get(l.purchasableId)?.currency).find((c) => c !== undefined);
  const errors: InputError[] = [];
  const items = lines.flatMap(({ purchasableId, quantity }, position) => {
    const purchasable = byId.get(purchasableId);
    const path = ['input', 'items', position, 'purchasableId'];
    if (!purchasable) {
      errors.push(inputError(path, InputErrorCode.NOT_FOUND, 'The store does not sell this'));
      return [];
    }
    if (currency && purchasable.currency !== currency) {
      errors.push(inputError(path, InputErrorCode.INVALID, `Priced in ${purchasable.currency}, the order in ${currency}: order them separately`));
      return [];
    }
    return [{ position, purchasableId, quantity, unitPriceCents: purchasable.priceCents, currency: purchasable.currency }];
  });
  if (errors.length || !currency) return { ok: false, errors };
  const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  if (totalCents > MAX_AMOUNT) {
    return { ok: false, errors: [inputError(['input', 'items'], InputErrorCode.TOO_BIG, 'The order total is too large; split it up')] };
  }
  return { ok: true, totalCents, currency, items };
}
