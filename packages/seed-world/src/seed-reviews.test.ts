import { nameBasedUuid } from '@storefront/api-conventions';
import { randomFor, SEED_PLANS, SeedNamespace, seedOrders, seedUser, type SeedPlan } from './seed.ts';
import { ratingFor, REVIEW_PROBABILITY, reviewsSeed } from './seed-reviews.ts';

const PLAN: SeedPlan = { users: 40, categories: 4, products: 50, warehouses: 2, orders: 400, wishlistItemsPerUser: 0 };
const DAY_MS = 86_400_000;

describe('the reviews slice of the seed world', () => {
  const seed = reviewsSeed(PLAN);
  const orders = [...seedOrders(PLAN)];
  const orderById = new Map(orders.map((order) => [order.id, order]));

  it('is the same on every run', () => {
    expect(reviewsSeed(PLAN)).toEqual(seed);
  });

  it('reviews each delivered product item whose draw says so, once per buyer and product (the first wins)', () => {
    const expected: string[] = [];
    const taken = new Set<string>();
    for (const order of orders) {
      if (order.status !== 'FULFILLED') continue;
      order.items.forEach((item, k) => {
        const key = `${order.userId}:${item.purchasableId}`;
        if (item.kind !== 'PRODUCT' || taken.has(key) || randomFor(`review:${order.number}`, k)() >= REVIEW_PROBABILITY) return;
        taken.add(key);
        expected.push(nameBasedUuid(SeedNamespace.review, `${order.number}:${k}`));
      });
    }
    expect(seed.reviews.map((review) => review.id)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(500);
  });

  it('dates each review 2 to 20 days after its order settled and names the buyer as accounts does', () => {
    for (const review of seed.reviews) {
      const order = orderById.get(review.orderId)!;
      expect(order.userId).toBe(review.authorId);
      const delay = review.createdAt.getTime() - order.updatedAt.getTime();
      expect(delay).toBeGreaterThanOrEqual(2 * DAY_MS);
      expect(delay).toBeLessThan(20 * DAY_MS);
      expect(review.authorName).toBe(seedUser(order.userIndex, PLAN).name);
      expect(review.rating).toBeGreaterThanOrEqual(1);
      expect(review.rating).toBeLessThanOrEqual(5);
    }
  });

  it('chooses words that fit the rating', () => {
    const titlesOf = (rating: number) => new Set(seed.reviews.filter((r) => r.rating === rating).map((r) => r.title));
    const praise = titlesOf(5);
    expect(praise.size).toBeGreaterThan(1);
    for (const title of titlesOf(1)) expect(praise.has(title)).toBe(false);
    expect(seed.reviews.every((r) => r.title.length <= 120 && r.body.length <= 5_000)).toBe(true);
  });

  it('records the first paid or fulfilled order of every bought item as a purchase, so every review is verified', () => {
    const first = new Map<string, string>();
    for (const order of orders) {
      if (order.status !== 'PAID' && order.status !== 'FULFILLED') continue;
      for (const item of order.items) if (!first.has(`${order.userId}:${item.purchasableId}`)) first.set(`${order.userId}:${item.purchasableId}`, order.id);
    }
    expect(new Map(seed.purchases.map((p) => [`${p.userId}:${p.purchasableId}`, p.firstOrderId]))).toEqual(first);
    const purchased = new Set(first.keys());
    expect(seed.reviews.every((r) => purchased.has(`${r.authorId}:${r.purchasableId}`))).toBe(true);
  });

  it('sums up every reviewed purchasable and names every user', () => {
    const total = seed.summaries.reduce((sum, s) => sum + s.reviewCount, 0);
    const ratings = seed.summaries.reduce((sum, s) => sum + s.ratingSum, 0);
    expect(total).toBe(seed.reviews.length);
    expect(ratings).toBe(seed.reviews.reduce((sum, r) => sum + r.rating, 0));
    expect(seed.authors).toHaveLength(PLAN.users);
    expect(seed.authors[0]).toEqual({ userId: nameBasedUuid(SeedNamespace.user, 0), displayName: 'Store Admin', updatedAt: seedUser(0, PLAN).createdAt });
  });
});

describe('ratings', () => {
  it('map a uniform draw onto the skewed shares', () => {
    expect([0, 0.449, 0.45, 0.749, 0.75, 0.869, 0.87, 0.929, 0.93, 0.999].map(ratingFor)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  });
});

describe('the full-scale plan', () => {
  it('yields at least 50,000 reviews, skewed positive, one per buyer and product', () => {
    const { reviews } = reviewsSeed(SEED_PLANS.full);
    expect(reviews.length).toBeGreaterThanOrEqual(50_000);
    expect(new Set(reviews.map((r) => `${r.authorId}:${r.purchasableId}`)).size).toBe(reviews.length);
    expect(new Set(reviews.map((r) => r.id)).size).toBe(reviews.length);
    const share = (rating: number) => reviews.filter((r) => r.rating === rating).length / reviews.length;
    expect(share(5)).toBeGreaterThan(0.43);
    expect(share(5)).toBeLessThan(0.47);
    expect(share(1)).toBeGreaterThan(0.06);
    expect(share(1)).toBeLessThan(0.08);
  });
});
