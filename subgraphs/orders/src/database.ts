import { fileURLToPath } from 'node:url';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type { Cart, CartItem, Order, OrderItem, OrderStatusChange, Purchasable } from './generated/prisma/client.ts';
export { CancelReason, OrderStatus, PurchasableKind } from './generated/prisma/client.ts';
export { Prisma, PrismaClient };

/** Where a query runs: the client itself, or the client inside an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/**
 * For every interactive transaction here. Concurrent writes to one cart or order queue on its row lock while
 * holding a pooled connection, so under a burst a transaction may wait longer for a connection than Prisma's
 * default 2 s before it starts; waiting is the right answer there, not an error.
 */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

/** The orders subgraph's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
