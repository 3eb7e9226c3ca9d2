import { type TracerProvider } from '@opentelemetry/api';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { inTraceOnly } from './in-trace-only.ts';

/*
 * Prisma Client's own spans (@prisma/instrumentation): `prisma:client:operation` per model call (its model and
 * method as attributes) and `prisma:client:transaction`, with the SQL spans of the pg pool (prisma-tools) below
 * them. Two adjustments: only inside a trace (in-trace-only.ts), as for SQL spans; and no
 * `prisma:client:db_query`, which would repeat, one level up, each SQL span the pg pool already records.
 * Prisma reads its instrumentation from a global, not by patching modules, so this works under ESM and jest.
 */

/** Turns Prisma Client's spans on, into `provider`; returns how to turn them off again. */
export function enablePrismaTracing(provider: TracerProvider): () => void {
  const instrumentation = new PrismaInstrumentation({ enabled: false, ignoreSpanTypes: ['prisma:client:db_query'] });
  instrumentation.setTracerProvider(inTraceOnly(provider));
  instrumentation.enable();
  return () => instrumentation.disable();
}
