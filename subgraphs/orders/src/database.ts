import { fileURLToPath } from 'node:url';
import { TRANSACTION_DEFAULTS } from '@storefront/subgraph-runtime';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type { Cart, CartItem, Order, OrderItem, OrderSaga, OrderStatusChange, Purchasable } from './generated/prisma/client.ts';
export { SagaState } from './generated/prisma/client.ts';
export { CancelReason, OrderStatus, PurchasableKind } from './generated/prisma/client.ts';
export { Prisma, PrismaClient };

/** Where a query runs: the client itself, or the client inside an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/**
 * The shared transaction limits, also passed at each call site: the service's client has them as defaults,
 * but the saga and tests drive these functions with clients of their own.
 */
export const TRANSACTION_OPTIONS = TRANSACTION_DEFAULTS;

/** The orders subgraph's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
