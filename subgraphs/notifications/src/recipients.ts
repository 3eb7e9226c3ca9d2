import type { Prisma } from './database.ts';

/** Where and how to address a user's e-mail: notifications' replica of what accounts published. */
export interface Recipient {
  userId: string;
  email: string;
  name: string;
}

/**
 * Records (or refreshes) a user's address from UserRegistered. An upsert, so a replayed event or a seeded
 * user registering again leaves one row with the latest facts.
 */
export async function upsertRecipient(tx: Prisma.TransactionClient, recipient: Recipient): Promise<void> {
  const { userId, email, name } = recipient;
  await tx.recipient.upsert({ where: { userId }, create: { userId, email, name }, update: { email, name } });
}

export async function recipientOf(prisma: Prisma.TransactionClient, userId: string): Promise<Recipient | null> {
  return prisma.recipient.findUnique({ where: { userId }, select: { userId: true, email: true, name: true } });
}
