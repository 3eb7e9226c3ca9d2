import type { PrismaClient } from './database.ts';

/** Names one (user, purchasable) pair as a single DataLoader key. */
export const purchaseKey = (userId: string, purchasableId: string) => `${userId}:${purchasableId}`;

/**
 * Which of many (user, purchasable) pairs are recorded purchases, in one statement: the pairs travel as two
 * parallel arrays and join the purchases primary key.
 */
export async function recordedPurchases(prisma: PrismaClient, keys: readonly string[]): Promise<Set<string>> {
  const pairs = keys.map((key) => key.split(':'));
  const rows = await prisma.$queryRaw<Array<{ userId: string; purchasableId: string }>>`
    SELECT p.user_id AS "userId", p.purchasable_id AS "purchasableId"
    FROM unnest(${pairs.map(([userId]) => userId)}::uuid[], ${pairs.map(([, purchasableId]) => purchasableId)}::uuid[])
      AS wanted(user_id, purchasable_id)
    JOIN purchases p ON p.user_id = wanted.user_id AND p.purchasable_id = wanted.purchasable_id`;
  return new Set(rows.map((row) => purchaseKey(row.userId, row.purchasableId)));
}
