import { multiLineText, singleLineText } from '@storefront/api-conventions';
import { z } from 'zod';

/**
 * The CSV an import reads. The first line names the columns, in any order:
 *   sku            required  3–32 capital letters, digits and dashes; the key rows are upserted by
 *   name           required  1–200 characters
 *   price          required  whole minor units (cents): 1999 for 19.99, as everywhere in this API
 *   currency       required  ISO 4217 code, e.g. EUR
 *   category       required  an existing category's slug
 *   weight_grams   required  1–1,000,000
 *   description    optional  up to 5,000 characters (empty when absent)
 *   shipping_class optional  STANDARD (default), BULKY or FRAGILE
 * Other columns are refused (a misspelt optional column would otherwise be dropped silently).
 */
export const IMPORT_COLUMNS = ['sku', 'name', 'price', 'currency', 'category', 'weight_grams', 'description', 'shipping_class'] as const;
const REQUIRED_COLUMNS = ['sku', 'name', 'price', 'currency', 'category', 'weight_grams'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

/** Where each known column sits in a record. */
export type ColumnIndex = Partial<Record<Column, number>>;

export class ImportFormatError extends Error {}

/** Reads the header line; throws ImportFormatError (the whole file is unusable) for missing or unknown columns. */
export function parseHeader(fields: readonly string[]): ColumnIndex {
  const index: ColumnIndex = {};
  const unknown: string[] = [];
  fields.forEach((raw, position) => {
    const name = raw.trim().toLowerCase();
    if ((IMPORT_COLUMNS as readonly string[]).includes(name)) {
      if (index[name as Column] !== undefined) throw new ImportFormatError(`Column ${name} appears twice in the header`);
      index[name as Column] = position;
    } else {
      unknown.push(raw);
    }
  });
  const missing = REQUIRED_COLUMNS.filter((column) => index[column] === undefined);
  const problems = [
    ...(missing.length ? [`missing column(s) ${missing.join(', ')}`] : []),
    ...(unknown.length ? [`unknown column(s) ${unknown.map((name) => JSON.stringify(name)).join(', ')}`] : []),
  ];
  if (problems.length) throw new ImportFormatError(`The header line has ${problems.join(' and ')}; expected ${IMPORT_COLUMNS.join(',')}`);
  return index;
}

const integerText = (what: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${what} must be a whole number${what === 'price' ? ' of minor units (1999 for 19.99)' : ''}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

const rowSchema = z.object({
  sku: singleLineText('sku: control characters are not allowed').trim().regex(/^[A-Z0-9][A-Z0-9-]{2,31}$/, 'sku: use 3–32 capital letters, digits and dashes'),
  name: singleLineText('name: use one line of text without control characters').trim().min(1, 'name is required').max(200, 'name: at most 200 characters'),
  price: integerText('price', 0, 100_000_000),
  currency: singleLineText('currency: control characters are not allowed').trim().regex(/^[A-Z]{3}$/, 'currency: use an ISO 4217 code such as EUR'),
  category: singleLineText('category: control characters are not allowed').trim().min(1, 'category is required'),
  weight_grams: integerText('weight_grams', 1, 1_000_000),
  description: multiLineText('description: control characters other than tabs and line breaks are not allowed').max(5_000, 'description: at most 5,000 characters').default(''),
  shipping_class: z
    .string()
    .trim()
    .transform((value) => value.toUpperCase() || 'STANDARD')
    .pipe(z.enum(['STANDARD', 'BULKY', 'FRAGILE'], { error: 'shipping_class: use STANDARD, BULKY or FRAGILE' }))
    .default('STANDARD'),
});

/** A valid row, ready for the upsert. */
export interface ProductRow {
  line: number;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  categoryId: string;
  weightGrams: number;
  shippingClass: string;
}

export type RowResult = { ok: true; row: ProductRow } | { ok: false; line: number; message: string };

/** Validates one record against the header's columns and the known categories (slug → id). */
export function parseRow(line: number, fields: readonly string[], columns: ColumnIndex, width: number, categories: ReadonlyMap<string, string>): RowResult {
  if (fields.length !== width) return { ok: false, line, message: `Expected ${width} fields as in the header, found ${fields.length}` };
  const raw = Object.fromEntries(
    Object.entries(columns).map(([column, position]) => [column, fields[position]]),
  );
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, line, message: parsed.error.issues.map((issue) => issue.message).join('; ') };
  const value = parsed.data;
  const categoryId = categories.get(value.category);
  if (!categoryId) return { ok: false, line, message: `category: no category with slug ${JSON.stringify(value.category)}` };
  return {
    ok: true,
    row: {
      line,
      sku: value.sku,
      name: value.name,
      description: value.description,
      priceCents: value.price,
      currency: value.currency,
      categoryId,
      weightGrams: value.weight_grams,
      shippingClass: value.shipping_class,
    },
  };
}
