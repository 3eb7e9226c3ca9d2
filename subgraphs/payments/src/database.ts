import { fileURLToPath } from 'node:url';
import { PaymentStatus, PrismaClient, ProviderCallOutcome, ProviderOperation, RefundStatus } from './generated/prisma/client.ts';

export type { Payment, Prisma, ProviderCall, Refund } from './generated/prisma/client.ts';
export { PaymentStatus, PrismaClient, ProviderCallOutcome, ProviderOperation, RefundStatus };

/** The payments service's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
