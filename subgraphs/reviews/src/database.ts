import { fileURLToPath } from 'node:url';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type { RatingSummary, Review } from './generated/prisma/client.ts';
export { Prisma, PrismaClient };

/** The reviews service's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
