import { faker } from '@faker-js/faker';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { nameBasedUuid } from '@storefront/api-conventions';
import { GIFT_CARD_AMOUNTS_CENTS, SEED_TIMELINE, seedGiftCard, seedInStock, SeedNamespace, reviewsSeed, seedProduct, type SeedPlan } from '@storefront/seed-world';
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
    await prisma.$transaction([prisma.reviewRating.deleteMany(), prisma.product.deleteMany(), prisma.category.deleteMany(), prisma.giftCard.deleteMany()]);
    await prisma.category.createMany({ data: categories });
    for (const batch of chunks(products)) await prisma.product.createMany({ data: ratedProducts(batch, plan) });
    await prisma.giftCard.createMany({ data: giftCards });
    const heard = seededReviewRatings(plan);
    for (const batch of chunks(heard)) await prisma.reviewRating.createMany({ data: batch });
    log(`${categories.length} categories, ${products.length} products (${new Set(heard.map((r) => r.productId)).size} rated), ${giftCards.length} gift cards`);
  } finally {
    await prisma.$disconnect();
  }
}

/** The seeded reviews of products, as catalog-ratings records them (review_ratings: what was counted). */
function seededReviewRatings(plan: SeedPlan) {
  const productIds = new Set(Array.from({ length: plan.products }, (_, i) => seedProduct(i, plan).id));
  return reviewsSeed(plan)
    .reviews.filter((review) => productIds.has(review.purchasableId))
    .map((review) => ({ reviewId: review.id, productId: review.purchasableId, rating: review.rating, counted: true }));
}

let ratingsByProduct: { plan: SeedPlan; totals: Map<string, { count: number; sum: number }> } | undefined;

/** Products with their rating columns filled from the seeded reviews (count, sum, average; 0 when unrated). */
function ratedProducts<P extends { id: string }>(batch: P[], plan: SeedPlan): Array<P & { ratingCount: number; ratingSum: number; ratingAverage: number }> {
  if (ratingsByProduct?.plan !== plan) {
    const totals = new Map<string, { count: number; sum: number }>();
    for (const { productId, rating } of seededReviewRatings(plan)) {
      const total = totals.get(productId) ?? { count: 0, sum: 0 };
      totals.set(productId, { count: total.count + 1, sum: total.sum + rating });
    }
    ratingsByProduct = { plan, totals };
  }
  const { totals } = ratingsByProduct;
  return batch.map((product) => {
    const { count, sum } = totals.get(product.id) ?? { count: 0, sum: 0 };
    return { ...product, ratingCount: count, ratingSum: sum, ratingAverage: count ? sum / count : 0 };
  });
}
