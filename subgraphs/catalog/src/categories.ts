import { z } from 'zod';
import type { Page } from '@storefront/api-conventions';
import type { Category, PrismaClient } from './database.ts';

/** Categories are listed by name; the cursor is the last row's (name, id). */
export const categoryPosition = z.object({ name: z.string(), id: z.uuid() });
export type CategoryPosition = z.infer<typeof categoryPosition>;

export const categoryPositionOf = (category: Category): CategoryPosition => ({ name: category.name, id: category.id });

export function listCategories(prisma: PrismaClient, page: Page<CategoryPosition>): Promise<Category[]> {
  const after = page.after;
  return prisma.category.findMany({
    where: after ? { OR: [{ name: { gt: after.name } }, { name: after.name, id: { gt: after.id } }] } : {},
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
    take: page.first + 1,
  });
}

export function categoriesByIds(prisma: PrismaClient, ids: readonly string[]): Promise<Category[]> {
  return prisma.category.findMany({ where: { id: { in: [...ids] } } });
}

export function categoriesBySlugs(prisma: PrismaClient, slugs: readonly string[]): Promise<Category[]> {
  return prisma.category.findMany({ where: { slug: { in: [...slugs] } } });
}
