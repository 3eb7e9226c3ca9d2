import { fileURLToPath } from 'node:url';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type { Delivery, Notification, Recipient } from './generated/prisma/client.ts';
export { DeliveryStatus, NotificationChannel, NotificationKind } from './generated/prisma/enums.ts';
// Prisma is a value too: raw queries compose with Prisma.sql and Prisma.empty.
export { Prisma, PrismaClient };

/** The notifications service's own migrations; no other service applies or reads them. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
