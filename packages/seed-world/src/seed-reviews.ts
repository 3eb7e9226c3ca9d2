import { nameBasedUuid } from '@storefront/api-conventions';
import { randomFor, SeedNamespace, seedOrders, seedUser, type SeedPlan } from './seed.ts';

/**
 * The reviews slice of the shared seed world, as pure data: who reviewed what, who bought what, and every
 * user's display name. prisma/seed.ts only inserts it; tests compare the API against it.
 */

export interface SeedReview {
  id: string;
  purchasableId: string;
  authorId: string;
  authorName: string;
  rating: number;
  title: string;
  body: string;
  orderId: string;
  createdAt: Date;
}

export interface SeedPurchase {
  userId: string;
  purchasableId: string;
  firstOrderId: string;
  purchasedAt: Date;
}

export interface SeedAuthor {
  userId: string;
  displayName: string;
  updatedAt: Date;
}

export interface SeedRatingSummary {
  purchasableId: string;
  reviewCount: number;
  ratingSum: number;
}

export interface ReviewsSeed {
  reviews: SeedReview[];
  purchases: SeedPurchase[];
  authors: SeedAuthor[];
  summaries: SeedRatingSummary[];
}

/** Share of delivered product items whose buyer writes a review. */
export const REVIEW_PROBABILITY = 0.75;

/** Ratings skew positive like real shops': cumulative shares for 5, 4, 3, 2 and 1 star(s). */
const RATING_SHARES: ReadonlyArray<readonly [rating: number, share: number]> = [
  [5, 0.45],
  [4, 0.3],
  [3, 0.12],
  [2, 0.06],
  [1, 0.07],
];

export function ratingFor(roll: number): number {
  let cumulative = 0;
  for (const [rating, share] of RATING_SHARES) {
    cumulative += share;
    if (roll < cumulative) return rating;
  }
  return 1;
}

const TITLES: Record<number, readonly string[]> = {
  5: ['Absolutely love it', 'Exceeded my expectations', 'Best purchase this year', 'Perfect', 'Would buy again in a heartbeat'],
  4: ['Very good', 'Happy with it', 'Solid choice', 'Does the job well', 'Almost perfect'],
  3: ['It is okay', 'Decent for the price', 'Mixed feelings', 'Average', 'Not bad, not great'],
  2: ['Disappointing', 'Expected more', 'Meh', 'Not really worth it', 'Below average'],
  1: ['Do not buy', 'Very disappointed', 'Broke quickly', 'Waste of money', 'Not as described'],
};

const OPENINGS: Record<number, readonly string[]> = {
  5: ['This is exactly what I was looking for.', 'I use it every day and it still feels new.', 'Outstanding quality from the moment I unpacked it.'],
  4: ['Good quality overall.', 'Works as advertised with one or two small quirks.', 'I am pleased with it.'],
  3: ['It works, but nothing special.', 'Some things are good, others less so.', 'Fine for occasional use.'],
  2: ['The quality is lower than the photos suggest.', 'It works, barely.', 'I had hoped for better.'],
  1: ['It stopped working after a few days.', 'Nothing like the description.', 'Poor quality all round.'],
};

const DETAILS: readonly string[] = [
  'Delivery was quick and the packaging was fine.',
  'I compared it with two similar items before buying.',
  'Bought it as a gift and kept one for myself.',
  'The size and weight are as listed.',
  'Setup took a few minutes.',
  'I have had it for a couple of weeks now.',
];

const CLOSINGS: Record<number, readonly string[]> = {
  5: ['Highly recommended!', 'Five stars without hesitation.', 'I will order again.'],
  4: ['I would recommend it.', 'Good value for money.', 'Worth buying.'],
  3: ['Buy it if it is on sale.', 'Okay if your expectations are modest.', 'It will do for now.'],
  2: ['I would look elsewhere.', 'Probably returning it.', 'Not worth the full price.'],
  1: ['Avoid.', 'I want my money back.', 'Cannot recommend it at all.'],
};

const DAY_MS = 86_400_000;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;
const phrasesFor = (lists: Record<number, readonly string[]>, rating: number): readonly string[] => lists[rating] ?? [];

/**
 * The reviews, purchases, authors and rating summaries of a plan's seed world:
 * - every item of a PAID or FULFILLED order is a purchase (the first such order counts);
 * - each product item at position k of a FULFILLED order is reviewed when the item's own random draw is below
 *   REVIEW_PROBABILITY, once per user and product (the first order wins), 2–20 days after the order settled;
 * - every user is an author under their seed name.
 * All seeded reviews are therefore verified purchases.
 */
export function reviewsSeed(plan: SeedPlan): ReviewsSeed {
  const authors: SeedAuthor[] = Array.from({ length: plan.users }, (_, i) => {
    const user = seedUser(i, plan);
    return { userId: user.id, displayName: user.name, updatedAt: user.createdAt };
  });
  const nameOf = (userIndex: number) => authors[userIndex]?.displayName ?? seedUser(userIndex, plan).name;

  const purchases = new Map<string, SeedPurchase>();
  const reviews = new Map<string, SeedReview>();
  for (const order of seedOrders(plan)) {
    if (order.status !== 'PAID' && order.status !== 'FULFILLED') continue;
    order.items.forEach((item, k) => {
      const key = `${order.userId}:${item.purchasableId}`;
      if (!purchases.has(key)) {
        purchases.set(key, { userId: order.userId, purchasableId: item.purchasableId, firstOrderId: order.id, purchasedAt: order.placedAt });
      }
      if (order.status !== 'FULFILLED' || item.kind !== 'PRODUCT' || reviews.has(key)) return;
      const random = randomFor(`review:${order.number}`, k);
      if (random() >= REVIEW_PROBABILITY) return;
      const rating = ratingFor(random());
      reviews.set(key, {
        id: nameBasedUuid(SeedNamespace.review, `${order.number}:${k}`),
        purchasableId: item.purchasableId,
        authorId: order.userId,
        authorName: nameOf(order.userIndex),
        rating,
        title: pick(phrasesFor(TITLES, rating), random),
        body: [pick(phrasesFor(OPENINGS, rating), random), pick(DETAILS, random), pick(phrasesFor(CLOSINGS, rating), random)].join(' '),
        orderId: order.id,
        createdAt: new Date(order.updatedAt.getTime() + Math.floor((2 + random() * 18) * DAY_MS)),
      });
    });
  }

  const summaries = new Map<string, SeedRatingSummary>();
  for (const review of reviews.values()) {
    const summary = summaries.get(review.purchasableId) ?? { purchasableId: review.purchasableId, reviewCount: 0, ratingSum: 0 };
    summary.reviewCount += 1;
    summary.ratingSum += review.rating;
    summaries.set(review.purchasableId, summary);
  }
  return { reviews: [...reviews.values()], purchases: [...purchases.values()], authors, summaries: [...summaries.values()] };
}
