import type { PrismaClient } from '../src/database.ts';

/** Which field of a seed row goes to which column, and the column's SQL type. */
export type Columns<Row> = ReadonlyArray<readonly [field: keyof Row & string, column: string, sqlType: string]>;

/**
 * A multi-row INSERT with one array parameter per column (`SELECT * FROM unnest($1::uuid[], …)`). Prisma's
 * createMany spends most of a minute of CPU on the ~140,000 rows of the full seed; this takes a few seconds,
 * because the statement and its parameter count stay the same however many rows it carries.
 * Table and column names come from constants in seed.ts, never from input.
 */
export async function insertRows<Row>(prisma: PrismaClient, table: string, columns: Columns<Row>, rows: readonly Row[]): Promise<void> {
  const names = columns.map(([, column]) => `"${column}"`).join(', ');
  const arrays = columns.map(([, , sqlType], i) => `$${i + 1}::${sqlType}[]`).join(', ');
  const values = columns.map(([field]) => rows.map((row) => asParameter(row[field])));
  await prisma.$executeRawUnsafe(`INSERT INTO "${table}" (${names}) SELECT * FROM unnest(${arrays})`, ...values);
}

function asParameter(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}
