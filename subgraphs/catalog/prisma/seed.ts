import { faker } from '@faker-js/faker';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import {
  GIFT_CARD_AMOUNTS_CENTS,
  nameBasedUuid,
  SEED_TIMELINE,
  seedGiftCard,
  seedInStock,
  SeedNamespace,
  seedProduct,
  type SeedPlan,
} from '@storefront/common';
import { chunks } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';

const DEPARTMENTS = [
  'Books', 'Electronics', 'Kitchen', 'Garden', 'Toys', 'Sports', 'Outdoors', 'Beauty', 'Grocery', 'Music',
  'Shoes', 'Clothing', 'Jewelry', 'Tools', 'Automotive', 'Baby', 'Health', 'Home', 'Office', 'Pets',
];
const DAY_MS = 86_400_000;

/**
 * Replaces the catalog's data: `plan.categories` categories, `plan.products` products and the gift cards.
 * Prices, weights and stock come from the shared seed world so orders and inventory agree with catalog.
 */
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
        createdAt: new Date(SEED_TIMELINE.usersFrom - 400 * DAY_MS + i * DAY_MS),
      };
    });
    const products = Array.from({ length: plan.products }, (_, i) => {
      const facts = seedProduct(i, plan);
      return {
        id: facts.id,
        sku: facts.sku,
        // Names and descriptions only matter to catalog, so they may come from faker's sequence.
        name: faker.commerce.productName(),
        description: faker.commerce.productDescription(),
        priceCents: facts.priceCents,
        currency: facts.currency,
        categoryId: nameBasedUuid(SeedNamespace.category, facts.categoryIndex),
        weightGrams: facts.weightGrams,
        shippingClass: facts.shippingClass,
        inStock: seedInStock(i, plan),
        createdAt: facts.createdAt,
      };
    });
    const giftCards = GIFT_CARD_AMOUNTS_CENTS.map((_, i) => ({ ...seedGiftCard(i), createdAt: new Date(SEED_TIMELINE.usersFrom) }));
    await prisma.$transaction([prisma.product.deleteMany(), prisma.category.deleteMany(), prisma.giftCard.deleteMany()]);
    await prisma.category.createMany({ data: categories });
    for (const batch of chunks(products)) await prisma.product.createMany({ data: batch });
    await prisma.giftCard.createMany({ data: giftCards });
    log(`${categories.length} categories, ${products.length} products, ${giftCards.length} gift cards`);
  } finally {
    await prisma.$disconnect();
  }
}
