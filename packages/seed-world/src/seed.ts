import { nameBasedUuid } from '@storefront/api-conventions';

/**
 * The demo "world" every subgraph seeds its own slice of. No service reads another's database, so each one
 * derives the facts it needs (ids, prices, who bought what) from these pure functions of an index: catalog
 * and orders agree on a product's price, orders and reviews on who bought it, without talking to each other.
 */
export interface SeedPlan {
  users: number;
  categories: number;
  products: number;
  warehouses: number;
  orders: number;
  wishlistItemsPerUser: number;
}

export const SEED_PLANS = {
  /** Enough to click around; fast enough for tests. */
  demo: { users: 200, categories: 12, products: 1_000, warehouses: 3, orders: 1_500, wishlistItemsPerUser: 5 },
  /** Benchmark-sized: 2,000 users, 10,000 products, 30,000 orders, about 56,000 reviews. */
  full: { users: 2_000, categories: 40, products: 10_000, warehouses: 4, orders: 30_000, wishlistItemsPerUser: 8 },
} as const satisfies Record<string, SeedPlan>;

export type SeedScale = keyof typeof SEED_PLANS;

/** Seed ids: the same index gives the same id in every service and every run. */
export const SeedNamespace = {
  user: 'user',
  address: 'address',
  category: 'category',
  product: 'product',
  giftCard: 'gift-card',
  warehouse: 'warehouse',
  order: 'order',
  orderItem: 'order-item',
  payment: 'payment',
  refund: 'refund',
  review: 'review',
  notification: 'notification',
  reservation: 'reservation',
} as const;

/** A small deterministic PRNG (mulberry32) so seeded data is identical on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG for one entity of one kind, independent of every other entity (so facts need no shared sequence). */
export function randomFor(kind: string, index: number): () => number {
  let hash = 2166136261;
  for (const char of `${kind}:${index}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return seededRandom(hash);
}

const DAY_MS = 86_400_000;
/** Users sign up during the first half of 2025; the catalog exists from the start; orders run until November 2026. */
export const SEED_TIMELINE = {
  usersFrom: Date.UTC(2025, 0, 1),
  usersTo: Date.UTC(2025, 5, 30),
  ordersFrom: Date.UTC(2025, 6, 1),
  ordersTo: Date.UTC(2026, 10, 1),
} as const;

function spread(from: number, to: number, index: number, count: number): Date {
  return new Date(from + Math.floor(((to - from) * index) / Math.max(count, 1)));
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;

// ---------------------------------------------------------------------------------------------- accounts

const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ben', 'Carla', 'Chen', 'Dara', 'Diego', 'Elif', 'Emma', 'Femi', 'Grace', 'Hana', 'Ivan',
  'Jonas', 'Kai', 'Lena', 'Luca', 'Maya', 'Mateo', 'Nia', 'Noah', 'Olga', 'Omar', 'Priya', 'Rafael', 'Sara', 'Sven',
  'Tariq', 'Uma', 'Vera', 'Wei', 'Yara', 'Zoe',
] as const;
const LAST_NAMES = [
  'Adeyemi', 'Bauer', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Hansen', 'Ivanova', 'Jensen', 'Kowalski',
  'Lindqvist', 'Moreau', 'Novak', "O'Brien", 'Petrov', 'Quinn', 'Rossi', 'Schmidt', 'Tanaka', 'Urban', 'Varga',
  'Weber', 'Xu', 'Yilmaz', 'Zimmermann',
] as const;

export interface SeedUser {
  id: string;
  email: string;
  name: string;
  roles: readonly ('CUSTOMER' | 'ADMIN')[];
  createdAt: Date;
}

/**
 * Every seeded user's password, so the demo can sign in (`logIn` as admin@example.com). Demo data only: the
 * seed hashes it once and gives all users that hash, which a real system would never do (one salt for all).
 */
export const SEED_DEMO_PASSWORD = 'storefront-demo';

/** User 0 is the store's admin (admin@example.com); everyone else is a customer. */
export function seedUser(index: number, plan: Pick<SeedPlan, 'users'>): SeedUser {
  const random = randomFor(SeedNamespace.user, index);
  const first = pick(FIRST_NAMES, random);
  const last = pick(LAST_NAMES, random);
  const admin = index === 0;
  return {
    id: nameBasedUuid(SeedNamespace.user, index),
    email: admin ? 'admin@example.com' : `${first}.${last}.${index}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
    name: admin ? 'Store Admin' : `${first} ${last}`,
    roles: admin ? ['ADMIN', 'CUSTOMER'] : ['CUSTOMER'],
    createdAt: spread(SEED_TIMELINE.usersFrom, SEED_TIMELINE.usersTo, index, plan.users),
  };
}

const CITIES = [
  { city: 'Berlin', postalCode: '10115', country: 'DE' },
  { city: 'Hamburg', postalCode: '20095', country: 'DE' },
  { city: 'Amsterdam', postalCode: '1011', country: 'NL' },
  { city: 'Paris', postalCode: '75001', country: 'FR' },
  { city: 'Lyon', postalCode: '69001', country: 'FR' },
  { city: 'Warsaw', postalCode: '00-001', country: 'PL' },
  { city: 'Vienna', postalCode: '1010', country: 'AT' },
  { city: 'Madrid', postalCode: '28001', country: 'ES' },
] as const;
const STREETS = ['Main Street', 'Station Road', 'Park Lane', 'Mill Road', 'Church Street', 'Harbour Way'] as const;

export interface SeedAddress {
  id: string;
  label: string;
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

/** Every user has a home address (the default) and every third user a work address too. */
export function seedAddresses(userIndex: number): SeedAddress[] {
  const random = randomFor(SeedNamespace.address, userIndex);
  const count = userIndex % 3 === 0 ? 2 : 1;
  return Array.from({ length: count }, (_, k) => ({
    id: nameBasedUuid(SeedNamespace.address, `${userIndex}:${k}`),
    label: k === 0 ? 'Home' : 'Work',
    line1: `${1 + Math.floor(random() * 200)} ${pick(STREETS, random)}`,
    ...pick(CITIES, random),
  }));
}

// ----------------------------------------------------------------------------------------------- catalog

export type ShippingClass = 'STANDARD' | 'BULKY' | 'FRAGILE';

export interface SeedProductFacts {
  id: string;
  sku: string;
  priceCents: number;
  currency: 'EUR';
  weightGrams: number;
  shippingClass: ShippingClass;
  categoryIndex: number;
  createdAt: Date;
}

/** The facts about product `index` that services other than catalog also need (price, weight, category). */
export function seedProduct(index: number, plan: Pick<SeedPlan, 'products' | 'categories'>): SeedProductFacts {
  const random = randomFor(SeedNamespace.product, index);
  // Prices spread log-uniformly between €1.99 and €999.99: many cheap things, a few expensive ones.
  const priceCents = Math.round(199 * Math.pow(99_999 / 199, random()));
  const weightGrams = Math.round(50 * Math.pow(30_000 / 50, random()));
  const fragile = random() < 0.1;
  return {
    id: nameBasedUuid(SeedNamespace.product, index),
    sku: `SKU-${String(index + 1).padStart(6, '0')}`,
    priceCents,
    currency: 'EUR',
    weightGrams,
    shippingClass: weightGrams > 20_000 ? 'BULKY' : fragile ? 'FRAGILE' : 'STANDARD',
    categoryIndex: index % Math.max(plan.categories, 1),
    createdAt: spread(SEED_TIMELINE.usersFrom - 180 * DAY_MS, SEED_TIMELINE.usersFrom, index, plan.products),
  };
}

/** Gift cards: a fixed set of denominations, sold like products. */
export const GIFT_CARD_AMOUNTS_CENTS = [2_500, 5_000, 10_000, 20_000] as const;

export function seedGiftCard(index: number): { id: string; name: string; priceCents: number; currency: 'EUR' } {
  const priceCents = GIFT_CARD_AMOUNTS_CENTS[index % GIFT_CARD_AMOUNTS_CENTS.length] ?? 2_500;
  return { id: nameBasedUuid(SeedNamespace.giftCard, index), name: `Gift card €${priceCents / 100}`, priceCents, currency: 'EUR' };
}

// --------------------------------------------------------------------------------------------- inventory

export const SEED_WAREHOUSES = [
  { code: 'BER', name: 'Berlin', country: 'DE' },
  { code: 'RTM', name: 'Rotterdam', country: 'NL' },
  { code: 'LYS', name: 'Lyon', country: 'FR' },
  { code: 'WAW', name: 'Warsaw', country: 'PL' },
] as const;

export function seedWarehouse(index: number): { id: string; code: string; name: string; country: string } {
  const warehouse = SEED_WAREHOUSES[index % SEED_WAREHOUSES.length] ?? SEED_WAREHOUSES[0];
  return { id: nameBasedUuid(SeedNamespace.warehouse, index), ...warehouse };
}

/** Units of a product on hand in one warehouse; about one product in twelve is sold out everywhere. */
export function seedStockAvailable(productIndex: number, warehouseIndex: number): number {
  if (randomFor('sold-out', productIndex)() < 0.08) return 0;
  const random = randomFor(`stock:${warehouseIndex}`, productIndex);
  return random() < 0.3 ? 0 : 1 + Math.floor(random() * 200);
}

/** Whether any warehouse has the product: catalog's legacy `inStock` flag is seeded from the same facts. */
export function seedInStock(productIndex: number, plan: Pick<SeedPlan, 'warehouses'>): boolean {
  for (let w = 0; w < plan.warehouses; w += 1) if (seedStockAvailable(productIndex, w) > 0) return true;
  return false;
}

// ------------------------------------------------------------------------------------------------ orders

export type SeedOrderStatus = 'PENDING' | 'RESERVED' | 'PAID' | 'FULFILLED' | 'CANCELLED';
export type SeedCancelReason = 'PAYMENT_DECLINED' | 'CUSTOMER_REQUEST';

export interface SeedOrderItem {
  id: string;
  purchasableId: string;
  kind: 'PRODUCT' | 'GIFT_CARD';
  /** Set for products: the index seedProduct takes. */
  productIndex: number | null;
  quantity: number;
  unitPriceCents: number;
  /** Fulfilled items: the warehouse (index) the item shipped from. */
  shippedFromWarehouse: number | null;
}

export interface SeedOrder {
  id: string;
  number: string;
  userIndex: number;
  userId: string;
  status: SeedOrderStatus;
  cancelReason: SeedCancelReason | null;
  items: SeedOrderItem[];
  totalCents: number;
  currency: 'EUR';
  placedAt: Date;
  /** When the order reached its current status. */
  updatedAt: Date;
}

/**
 * Order `index`: orders are spread evenly from July 2025 to November 2026, oldest first. The newest 3% are
 * still in flight; older ones were fulfilled, or cancelled (a declined payment or the customer's request).
 */
export function seedOrder(index: number, plan: SeedPlan): SeedOrder {
  const random = randomFor(SeedNamespace.order, index);
  const userIndex = 1 + Math.floor(random() * Math.max(plan.users - 1, 1));
  const age = index / Math.max(plan.orders, 1);
  let status: SeedOrderStatus;
  let cancelReason: SeedCancelReason | null = null;
  const roll = random();
  if (age > 0.97) status = roll < 0.3 ? 'PENDING' : roll < 0.5 ? 'RESERVED' : 'PAID';
  else if (roll < 0.1) {
    status = 'CANCELLED';
    cancelReason = roll < 0.05 ? 'PAYMENT_DECLINED' : 'CUSTOMER_REQUEST';
  } else status = 'FULFILLED';

  const itemCount = 1 + Math.floor(random() * 5);
  const seen = new Set<string>();
  const items: SeedOrderItem[] = [];
  for (let k = 0; k < itemCount; k += 1) {
    const giftCard = random() < 0.04;
    const productIndex = giftCard ? null : Math.floor(random() * plan.products);
    const card = giftCard ? seedGiftCard(Math.floor(random() * GIFT_CARD_AMOUNTS_CENTS.length)) : null;
    const purchasableId = card ? card.id : nameBasedUuid(SeedNamespace.product, productIndex ?? 0);
    const quantity = random() < 0.2 ? 2 + Math.floor(random() * 3) : 1;
    const warehouse = Math.floor(random() * Math.max(plan.warehouses, 1));
    if (seen.has(purchasableId)) continue;
    seen.add(purchasableId);
    items.push({
      id: nameBasedUuid(SeedNamespace.orderItem, `${index}:${k}`),
      purchasableId,
      kind: card ? 'GIFT_CARD' : 'PRODUCT',
      productIndex,
      quantity,
      unitPriceCents: card ? card.priceCents : seedProduct(productIndex ?? 0, plan).priceCents,
      shippedFromWarehouse: status === 'FULFILLED' && !card ? warehouse : null,
    });
  }
  const placedAt = spread(SEED_TIMELINE.ordersFrom, SEED_TIMELINE.ordersTo, index, plan.orders);
  const settleHours = status === 'FULFILLED' ? 48 + Math.floor(random() * 72) : status === 'PENDING' ? 0 : 1;
  return {
    id: nameBasedUuid(SeedNamespace.order, index),
    number: `SO-${String(index + 1).padStart(7, '0')}`,
    userIndex,
    userId: nameBasedUuid(SeedNamespace.user, userIndex),
    status,
    cancelReason,
    items,
    totalCents: items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0),
    currency: 'EUR',
    placedAt,
    updatedAt: new Date(placedAt.getTime() + settleHours * 3_600_000),
  };
}

/** All orders of a plan, generated lazily (30,000 at full scale). */
export function* seedOrders(plan: SeedPlan): Generator<SeedOrder> {
  for (let index = 0; index < plan.orders; index += 1) yield seedOrder(index, plan);
}
