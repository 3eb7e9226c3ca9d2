import { fileURLToPath } from 'node:url';
import { PrismaClient } from './generated/prisma/client.ts';

export type { Category, GiftCard, Prisma, Product } from './generated/prisma/client.ts';
export { PrismaClient };

/** The catalog's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
