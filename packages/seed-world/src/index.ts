export {
  GIFT_CARD_AMOUNTS_CENTS,
  randomFor,
  SEED_DEMO_PASSWORD,
  SEED_PLANS,
  SEED_TIMELINE,
  SEED_WAREHOUSES,
  seedAddresses,
  seedGiftCard,
  seededRandom,
  seedInStock,
  SeedNamespace,
  seedOrder,
  seedOrders,
  seedProduct,
  seedStockAvailable,
  seedUser,
  seedWarehouse,
} from './seed.ts';
export type { SeedAddress, SeedCancelReason, SeedOrder, SeedOrderItem, SeedOrderStatus, SeedPlan, SeedProductFacts, SeedScale, SeedUser, ShippingClass } from './seed.ts';
export { ratingFor, REVIEW_PROBABILITY, reviewsSeed, type ReviewsSeed, type SeedAuthor, type SeedPurchase, type SeedRatingSummary, type SeedReview } from './seed-reviews.ts';
