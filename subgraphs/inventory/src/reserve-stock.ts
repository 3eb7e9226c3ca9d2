import { inputError, InputErrorCode, requestFingerprint, validateInput } from '@storefront/api-conventions';
import { z } from 'zod';
import { allocate, type Shortage } from './allocation.ts';
import { TRANSACTION_OPTIONS, type Prisma, type PrismaClient, type Reservation } from './database.ts';
import { settleLockedReservation } from './reservation-transitions.ts';
import { isLapsed, type ReservationPayload } from './reservations.ts';
import { holdUnits, lockLapsedHolds, lockStock, releaseHolds } from './stock-holds.ts';

const MAX_TTL_SECONDS = 7 * 86_400;
const DEFAULT_TTL_SECONDS = 900;

const reserveStockSchema = z.object({
  orderId: z.uuid(),
  items: z
    .array(z.object({ productId: z.uuid(), quantity: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(100)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.productId)) {
          ctx.addIssue({ code: 'custom', path: [index, 'productId'], message: 'This product is already listed; add up the quantities' });
        }
        seen.add(item.productId);
      });
    }),
  ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).nullish(),
});
type ReserveStockInput = z.infer<typeof reserveStockSchema>;

/** Rolls the reservation transaction back when some item cannot be filled; carries what is missing. */
class OutOfStock extends Error {
  constructor(readonly shortages: Shortage[]) {
    super('out of stock');
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

/** What a reservation was asked for. Item order does not change what is reserved, so not the fingerprint either. */
export function reservationFingerprint(items: readonly { productId: string; quantity: number }[]): string {
  return requestFingerprint(
    [...items].map(({ productId, quantity }) => ({ productId, quantity })).sort((a, b) => (a.productId < b.productId ? -1 : 1)),
  );
}

/**
 * Holds stock for an order, all items or none, idempotently per order: the order id is the idempotency key
 * (unique in the table), and the items are its fingerprint.
 */
export async function reserveStock(prisma: PrismaClient, input: unknown, now: Date = new Date()): Promise<ReservationPayload> {
  const valid = validateInput(reserveStockSchema, input);
  if (!valid.ok) return { reservation: null, errors: valid.errors };
  const request = valid.value;
  const fingerprint = reservationFingerprint(request.items);

  const earlier = await replay(prisma, request.orderId, fingerprint, now);
  if (earlier) return earlier;
  try {
    const reservation = await prisma.$transaction((tx) => reserveInTransaction(tx, request, fingerprint, now), TRANSACTION_OPTIONS);
    return { reservation, errors: [] };
  } catch (error) {
    if (error instanceof OutOfStock) {
      return {
        reservation: null,
        errors: error.shortages.map((shortage) =>
          inputError(['input', 'items', shortage.index, 'quantity'], InputErrorCode.OUT_OF_STOCK, `Only ${shortage.available} available`),
        ),
        shortages: error.shortages,
      };
    }
    // A concurrent call for the same order committed first: ours waited on the unique order id, then failed.
    if (isUniqueViolation(error)) {
      const raced = await replay(prisma, request.orderId, fingerprint, now);
      if (raced) return raced;
    }
    throw error;
  }
}

/** The existing reservation of an order (expired first if it has lapsed), or a refusal if other items were asked for. */
async function replay(prisma: PrismaClient, orderId: string, fingerprint: string, now: Date): Promise<ReservationPayload | null> {
  const existing = await prisma.reservation.findUnique({ where: { orderId } });
  if (!existing) return null;
  if (existing.requestFingerprint !== fingerprint) {
    return {
      reservation: null,
      errors: [inputError(['input', 'orderId'], InputErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order already holds a reservation of other items')],
    };
  }
  if (existing.status !== 'HELD' || !isLapsed(existing, now)) return { reservation: existing, errors: [] };
  const settled = await prisma.$transaction((tx) => settleLockedReservation(tx, orderId, now), TRANSACTION_OPTIONS);
  return { reservation: settled ?? existing, errors: [] };
}

async function reserveInTransaction(
  tx: Prisma.TransactionClient,
  request: ReserveStockInput,
  fingerprint: string,
  now: Date,
): Promise<Reservation> {
  // Inserted first: a concurrent call for the same order blocks on the unique order id until this commits.
  const reservation = await tx.reservation.create({
    data: {
      orderId: request.orderId,
      requestFingerprint: fingerprint,
      expiresAt: new Date(now.getTime() + (request.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000),
    },
  });
  const productIds = request.items.map((item) => item.productId);
  // Lapsed holds on these products give their units back now rather than at the next expiry sweep.
  const lapsed = await lockLapsedHolds(tx, now, productIds, 1_000);
  let stock = await lockStock(tx, productIds, lapsed);
  if (lapsed.length) {
    await releaseHolds(tx, lapsed, 'EXPIRED');
    stock = await lockStock(tx, productIds); // read again: the released units are available now
  }

  const allocation = allocate(request.items, stock);
  if (!allocation.ok) {
    throw new OutOfStock(allocation.shortages);
  }
  await holdUnits(tx, allocation.allocations);
  await tx.reservationItem.createMany({
    data: allocation.allocations.map((a) => ({ reservationId: reservation.id, ...a })),
  });
  return reservation;
}
