import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { reviewsSeed, type SeedAuthor, type SeedPlan, type SeedPurchase, type SeedRatingSummary, type SeedReview } from '@storefront/seed-world';
import { bulkInsert, chunks, type BulkColumns } from '@storefront/prisma-tools';
import { PrismaClient } from '../src/database.ts';

const REVIEW_COLUMNS: BulkColumns<SeedReview> = [
  ['id', 'id', 'uuid'],
  ['purchasableId', 'purchasable_id', 'uuid'],
  ['authorId', 'author_id', 'uuid'],
  ['authorName', 'author_name', 'text'],
  ['rating', 'rating', 'smallint'],
  ['title', 'title', 'text'],
  ['body', 'body', 'text'],
  ['orderId', 'order_id', 'uuid'],
  ['createdAt', 'created_at', 'timestamptz'],
];

const SUMMARY_COLUMNS: BulkColumns<SeedRatingSummary> = [
  ['purchasableId', 'purchasable_id', 'uuid'],
  ['reviewCount', 'review_count', 'integer'],
  ['ratingSum', 'rating_sum', 'integer'],
];

const PURCHASE_COLUMNS: BulkColumns<SeedPurchase> = [
  ['userId', 'user_id', 'uuid'],
  ['purchasableId', 'purchasable_id', 'uuid'],
  ['firstOrderId', 'first_order_id', 'uuid'],
  ['purchasedAt', 'purchased_at', 'timestamptz'],
];

const AUTHOR_COLUMNS: BulkColumns<SeedAuthor> = [
  ['userId', 'user_id', 'uuid'],
  ['displayName', 'display_name', 'text'],
  ['updatedAt', 'updated_at', 'timestamptz'],
];

/**
 * Replaces reviews' data with the seed world's slice (see packages/seed-world/src/seed-reviews.ts): reviews of delivered products,
 * their rating summaries, the purchases that make a review verified, and every user's display name. Purchases
 * and names of the seeded world are inserted here; the reviews consumer adds new ones from order and user events.
 */
export default async function seed(adapter: SqlDriverAdapterFactory, plan: SeedPlan, log: (message: string) => void) {
  const prisma = new PrismaClient({ adapter });
  try {
    const { reviews, purchases, authors, summaries } = reviewsSeed(plan);
    await prisma.$executeRaw`TRUNCATE reviews, rating_summaries, purchases, authors`;
    for (const batch of chunks(authors, 10_000)) await bulkInsert(prisma, 'authors', AUTHOR_COLUMNS, batch);
    for (const batch of chunks(purchases, 10_000)) await bulkInsert(prisma, 'purchases', PURCHASE_COLUMNS, batch);
    for (const batch of chunks(reviews, 10_000)) await bulkInsert(prisma, 'reviews', REVIEW_COLUMNS, batch);
    for (const batch of chunks(summaries, 10_000)) await bulkInsert(prisma, 'rating_summaries', SUMMARY_COLUMNS, batch);
    log(`${reviews.length} reviews of ${summaries.length} purchasables, ${purchases.length} purchases, ${authors.length} authors`);
  } finally {
    await prisma.$disconnect();
  }
}
