import { fileURLToPath } from 'node:url';
import type { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type { Reservation, ReservationItem, StockAdjustment, StockLevel, Warehouse } from './generated/prisma/client.ts';
export { Prisma, PrismaClient, ReservationStatus } from './generated/prisma/client.ts';

/** Where a query runs: the client itself, or the client inside an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Interactive transactions queue for a pooled connection under load: give them time rather than fail. */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;

/** The inventory's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
