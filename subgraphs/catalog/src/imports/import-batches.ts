import type { Prisma } from '../database.ts';
import type { ProductRow } from './import-rows.ts';

/** An import keeps the first this many row errors; failedRows still counts them all. */
export const MAX_KEPT_ERRORS = 1_000;

export interface Batch {
  importId: string;
  /** The checkpoint this batch starts from: it applies only if the import's next_line still says so. */
  fromLine: number;
  /** The checkpoint after it: the line after the batch's last record. */
  toLine: number;
  rows: readonly ProductRow[];
  errors: ReadonlyArray<{ line: number; message: string }>;
}

/** Another worker moved the checkpoint (a job handed over while its first worker still ran): stop, it carries on. */
export class CheckpointMovedError extends Error {
  constructor(importId: string, expected: number, found: number) {
    super(`Import ${importId} is at line ${found}, not ${expected}: another worker has taken it over`);
    this.name = 'CheckpointMovedError';
  }
}

/**
 * Later rows win within a batch (as they would one by one); Postgres refuses an upsert that touches one row
 * twice, so duplicates of a SKU in the same batch are reduced to the last one first.
 */
function lastPerSku(rows: readonly ProductRow[]): ProductRow[] {
  const bySku = new Map<string, ProductRow>();
  for (const row of rows) {
    bySku.delete(row.sku);
    bySku.set(row.sku, row);
  }
  return [...bySku.values()];
}

/**
 * Applies one batch in one transaction: the upsert of its valid rows (one statement: unnest of column arrays,
 * ON CONFLICT (sku) DO UPDATE), its row errors, the counters and the checkpoint. They commit together, so a
 * worker killed at any point leaves either the whole batch with the checkpoint after it or neither, and the
 * retried job resumes at the checkpoint. Rows whose values are unchanged are not rewritten, so re-running a
 * batch (e.g. a file imported twice) costs reads, not writes.
 */
export async function applyBatch(tx: Prisma.TransactionClient, batch: Batch): Promise<{ processedRows: number; failedRows: number }> {
  const [current] = await tx.$queryRaw<Array<{ next_line: number; failed_rows: number; status: string }>>`
    SELECT next_line, failed_rows, status FROM product_imports WHERE id = ${batch.importId}::uuid FOR UPDATE`;
  if (!current) throw new Error(`Import ${batch.importId} no longer exists`);
  if (current.next_line !== batch.fromLine || current.status !== 'RUNNING') {
    throw new CheckpointMovedError(batch.importId, batch.fromLine, current.next_line);
  }
  const rows = lastPerSku(batch.rows);
  if (rows.length > 0) {
    await tx.$executeRaw`
      INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, weight_grams, shipping_class)
      SELECT gen_random_uuid(), r.sku, r.name, r.description, r.price_cents, r.currency, r.category_id, r.weight_grams, r.shipping_class
      FROM unnest(
        ${rows.map((r) => r.sku)}::text[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.description)}::text[],
        ${rows.map((r) => r.priceCents)}::int4[], ${rows.map((r) => r.currency)}::text[], ${rows.map((r) => r.categoryId)}::uuid[],
        ${rows.map((r) => r.weightGrams)}::int4[], ${rows.map((r) => r.shippingClass)}::text[]
      ) AS r(sku, name, description, price_cents, currency, category_id, weight_grams, shipping_class)
      ON CONFLICT (sku) DO UPDATE SET
        name = EXCLUDED.name, description = EXCLUDED.description, price_cents = EXCLUDED.price_cents,
        currency = EXCLUDED.currency, category_id = EXCLUDED.category_id, weight_grams = EXCLUDED.weight_grams,
        shipping_class = EXCLUDED.shipping_class, updated_at = now()
      WHERE (products.name, products.description, products.price_cents, products.currency, products.category_id,
             products.weight_grams, products.shipping_class)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.price_cents, EXCLUDED.currency,
             EXCLUDED.category_id, EXCLUDED.weight_grams, EXCLUDED.shipping_class)`;
  }
  const kept = batch.errors.slice(0, Math.max(0, MAX_KEPT_ERRORS - current.failed_rows));
  if (kept.length > 0) {
    await tx.$executeRaw`
      INSERT INTO product_import_errors (import_id, line, message)
      SELECT ${batch.importId}::uuid, e.line, e.message
      FROM unnest(${kept.map((e) => e.line)}::int4[], ${kept.map((e) => e.message)}::text[]) AS e(line, message)
      ON CONFLICT DO NOTHING`;
  }
  const processed = batch.rows.length + batch.errors.length;
  const [after] = await tx.$queryRaw<Array<{ processed_rows: number; failed_rows: number }>>`
    UPDATE product_imports
    SET processed_rows = processed_rows + ${processed}, failed_rows = failed_rows + ${batch.errors.length}, next_line = ${batch.toLine}
    WHERE id = ${batch.importId}::uuid
    RETURNING processed_rows, failed_rows`;
  if (!after) throw new Error(`Import ${batch.importId} vanished during its batch`);
  return { processedRows: after.processed_rows, failedRows: after.failed_rows };
}
