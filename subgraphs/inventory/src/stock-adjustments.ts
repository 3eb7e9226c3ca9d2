import { idempotencyKeySchema, inputError, InputErrorCode, requestFingerprint, singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { z } from 'zod';
import { TRANSACTION_OPTIONS, type Prisma, type PrismaClient, type StockLevel } from './database.ts';

export type AdjustStockPayload = { stockLevel: StockLevel | null; errors: InputError[] };

const MAX_DELTA = 1_000_000;

const adjustStockSchema = z.object({
  productId: z.uuid(),
  warehouseId: z.uuid(),
  delta: z
    .number()
    .int()
    .min(-MAX_DELTA)
    .max(MAX_DELTA)
    .refine((delta) => delta !== 0, 'A delta of 0 changes nothing'),
  reason: singleLineText().trim().min(1).max(500),
  idempotencyKey: idempotencyKeySchema,
});
type AdjustStockInput = z.infer<typeof adjustStockSchema>;

/** Thrown inside the transaction to roll it back when the adjustment would leave fewer than 0 units available. */
class NotEnoughAvailable extends Error {
  constructor(readonly available: number) {
    super('not enough available');
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

const fail = (errors: InputError[]): AdjustStockPayload => ({ stockLevel: null, errors });

/**
 * Adds or removes units on hand, recorded in the stock_adjustments ledger under the client's idempotency key.
 * The stock change and the ledger row commit together, so a key never exists without its change nor the
 * change without its key; a concurrent retry with the same key waits on the row lock, then hits the unique
 * key and rolls its own change back.
 */
export async function adjustStock(prisma: PrismaClient, input: unknown): Promise<AdjustStockPayload> {
  const valid = validateInput(adjustStockSchema, input);
  if (!valid.ok) return fail(valid.errors);
  const request = valid.value;
  const fingerprint = requestFingerprint({ ...request, idempotencyKey: undefined });

  const replay = await replayOf(prisma, request, fingerprint);
  if (replay) return replay;
  if (!(await prisma.warehouse.findUnique({ where: { id: request.warehouseId }, select: { id: true } }))) {
    return fail([inputError(['input', 'warehouseId'], InputErrorCode.NOT_FOUND, 'No such warehouse')]);
  }
  try {
    const stockLevel = await prisma.$transaction(async (tx) => {
      const level = await applyDelta(tx, request);
      await tx.stockAdjustment.create({
        data: {
          idempotencyKey: request.idempotencyKey,
          requestFingerprint: fingerprint,
          productId: request.productId,
          warehouseId: request.warehouseId,
          delta: request.delta,
          reason: request.reason,
        },
      });
      return level;
    }, TRANSACTION_OPTIONS);
    return { stockLevel, errors: [] };
  } catch (error) {
    if (error instanceof NotEnoughAvailable) {
      return fail([
        inputError(
          ['input', 'delta'],
          InputErrorCode.INVALID_STATE,
          `Only ${error.available} units are available to remove (reserved units cannot be removed)`,
        ),
      ]);
    }
    if (isUniqueViolation(error)) {
      const raced = await replayOf(prisma, request, fingerprint);
      if (raced) return raced;
    }
    throw error;
  }
}

/** The answer to a repeated idempotency key: the stock level again, or a refusal when the input differs. */
async function replayOf(prisma: PrismaClient, request: AdjustStockInput, fingerprint: string): Promise<AdjustStockPayload | null> {
  const earlier = await prisma.stockAdjustment.findUnique({
    where: { idempotencyKey: request.idempotencyKey },
    include: { stockLevel: true },
  });
  if (!earlier) return null;
  if (earlier.requestFingerprint !== fingerprint) {
    return fail([
      inputError(['input', 'idempotencyKey'], InputErrorCode.IDEMPOTENCY_KEY_REUSED, 'This key was used for a different adjustment'),
    ]);
  }
  return { stockLevel: earlier.stockLevel, errors: [] };
}

/**
 * Applies the delta in one conditional statement: adding units creates the level if the warehouse never had
 * the product; removing them only succeeds while at least that many are available (reserved units stay).
 */
async function applyDelta(tx: Prisma.TransactionClient, { productId, warehouseId, delta }: AdjustStockInput): Promise<StockLevel> {
  const [level] =
    delta > 0
      ? await tx.$queryRaw<StockLevel[]>`
          INSERT INTO stock_levels (product_id, warehouse_id, on_hand, reserved, available, updated_at)
          VALUES (${productId}::uuid, ${warehouseId}::uuid, ${delta}, 0, ${delta}, now())
          ON CONFLICT (product_id, warehouse_id) DO UPDATE
            SET on_hand = stock_levels.on_hand + EXCLUDED.on_hand,
                available = stock_levels.available + EXCLUDED.available,
                updated_at = now()
          RETURNING product_id AS "productId", warehouse_id AS "warehouseId", on_hand AS "onHand", reserved, available,
                    updated_at AS "updatedAt"`
      : await tx.$queryRaw<StockLevel[]>`
          UPDATE stock_levels
            SET on_hand = on_hand + ${delta}, available = available + ${delta}, updated_at = now()
          WHERE product_id = ${productId}::uuid AND warehouse_id = ${warehouseId}::uuid AND available + ${delta} >= 0
          RETURNING product_id AS "productId", warehouse_id AS "warehouseId", on_hand AS "onHand", reserved, available,
                    updated_at AS "updatedAt"`;
  if (level) return level;
  const current = await tx.stockLevel.findUnique({ where: { productId_warehouseId: { productId, warehouseId } } });
  throw new NotEnoughAvailable(current?.available ?? 0);
}
