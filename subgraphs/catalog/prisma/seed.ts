import { faker } from '@faker-js/faker';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid, SeedNamespace, type SeedPlan } from '@storefront/common';
import { chunks } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';

const DEPARTMENTS = [
  'Books', 'Electronics', 'Kitchen', 'Garden', 'Toys', 'Sports', 'Outdoors', 'Beauty', 'Grocery', 'Music',
  'Shoes', 'Clothing', 'Jewelry', 'Tools', 'Automotive', 'Baby', 'Health', 'Home', 'Office', 'Pets',
];
const DAY_MS = 86_400_000;
const SEED_EPOCH = Date.UTC(2026, 0, 1);

/** Replaces the catalog's data with `plan.categories` categories and `plan.products` products. */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    faker.seed(20261123);
    const categories = Array.from({ length: plan.categories }, (_, i) => {
      const base = DEPARTMENTS[i % DEPARTMENTS.length] ?? 'General';
      const round = Math.floor(i / DEPARTMENTS.length);
      const name = round === 0 ? base : `${base} ${['Essentials', 'Premium', 'Outlet', 'Classics'][(round - 1) % 4]}`;
      return {
        id: nameBasedUuid(SeedNamespace.category, i),
        slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        name,
        createdAt: new Date(SEED_EPOCH - 400 * DAY_MS + i * DAY_MS),
      };
    });
    const products = Array.from({ length: plan.products }, (_, i) => ({
      id: nameBasedUuid(SeedNamespace.product, i),
      sku: `SKU-${String(i + 1).padStart(6, '0')}`,
      name: faker.commerce.productName(),
      description: faker.commerce.productDescription(),
      priceCents: faker.number.int({ min: 199, max: 99_999 }),
      currency: 'EUR',
      categoryId: nameBasedUuid(SeedNamespace.category, i % plan.categories),
      // Spread over the past year, a few minutes apart, so "newest first" has a real order.
      createdAt: new Date(SEED_EPOCH - (plan.products - i) * 180_000),
    }));
    await prisma.$transaction([prisma.product.deleteMany(), prisma.category.deleteMany()]);
    await prisma.category.createMany({ data: categories });
    for (const batch of chunks(products)) await prisma.product.createMany({ data: batch });
    log(`${categories.length} categories, ${products.length} products`);
  } finally {
    await prisma.$disconnect();
  }
}
