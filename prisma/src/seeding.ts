import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SeedPlan } from '@storefront/common';

/** What a subgraph's prisma/seed.ts exports by default: replace its own demo data following `plan`. */
export type SeedFunction = (adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) => Promise<void>;

/** Splits rows into createMany-sized batches (Postgres caps a statement at 65,535 bind parameters). */
export function* chunks<T>(rows: readonly T[], size = 1_000): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
