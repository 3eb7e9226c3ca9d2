import { fileURLToPath } from 'node:url';
import { PrismaClient } from './generated/prisma/client.ts';

export type { Address, Prisma, User, WishlistItem } from './generated/prisma/client.ts';
export { PrismaClient };

/** The accounts service's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
