import { singleLineText, validateInput, type InputError } from '@storefront/api-conventions';
import { z } from 'zod';
import type { PrismaClient, User } from './database.ts';

const profileSchema = z.object({ name: singleLineText().trim().min(1).max(100) });

export async function updateProfile(prisma: PrismaClient, userId: string, input: unknown): Promise<{ user: User | null; errors: InputError[] }> {
  const valid = validateInput(profileSchema, input);
  if (!valid.ok) return { user: null, errors: valid.errors };
  return { user: await prisma.user.update({ where: { id: userId }, data: { name: valid.value.name } }), errors: [] };
}
