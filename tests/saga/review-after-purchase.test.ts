import { randomUUID } from 'node:crypto';
import { seedProduct, seedStockAvailable, type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { postGraphQL, startStack, type TestStack } from '../support/stack.ts';

/*
 * A verified purchase, end to end: a shopper who signs up and checks out through the router can review what
 * they bought as soon as the order is PAID. Every subgraph on its own Postgres hosts its service's workers,
 * so the path is the real one: accounts' UserRegistered and orders' OrderStatusChanged (with its items) reach
 * the reviews consumer through the outboxes, the relays and BullMQ on Redis.
 */

const PLAN: SeedPlan = { users: 6, categories: 3, products: 40, warehouses: 2, orders: 10, wishlistItemsPerUser: 0 };
const SHIPPING = { name: 'Grace Hopper', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' };

let stack: TestStack;
beforeAll(async () => {
  process.env.QUEUE_PREFIX = `review-purchase-${randomUUID().slice(0, 8)}`;
  stack = await startStack(PLAN, { runWorkers: true });
}, 180_000);
afterAll(() => stack?.close());

/** A product in stock whose price the payment simulator neither declines (…13 cents) nor answers late (…07). */
function payableProductId(): string {
  for (let i = 0; i < PLAN.products; i++) {
    const product = seedProduct(i, PLAN);
    const stock = Array.from({ length: PLAN.warehouses }, (_, w) => seedStockAvailable(i, w)).reduce((a, b) => a + b, 0);
    if (stock > 0 && ![7, 13].includes(product.priceCents % 100)) return product.id;
  }
  throw new Error('no payable product in the seed plan');
}

async function send<T>(token: string | undefined, query: string, variables: Record<string, unknown>): Promise<T> {
  const { body } = await postGraphQL(stack.routerUrl, { query, variables }, { token });
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

type ReviewPayload = { writeReview: { review: { id: string; verifiedPurchase: boolean; author: { name: string } | null } | null; errors: Array<{ code: string }> } };
const WRITE_REVIEW = `mutation ($input: WriteReviewInput!) {
  writeReview(input: $input) { review { id verifiedPurchase author { name } } errors { code } }
}`;

it('lets a new user review a product once their order of it is PAID', async () => {
  const { signUp } = await send<{ signUp: { accessToken: string | null; errors: unknown[] } }>(
    undefined,
    'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken errors { code } } }',
    { input: { email: `buyer-${randomUUID()}@example.test`, password: 'correct horse battery', name: 'Grace Hopper' } },
  );
  expect(signUp.errors).toEqual([]);
  const token = signUp.accessToken!;
  const purchasableId = payableProductId();
  const review = { purchasableId, rating: 5, title: 'Worth it', body: 'Bought it this morning and it works.' };

  // Before buying: refused at the field, as the product page shows it.
  const early = await send<ReviewPayload>(token, WRITE_REVIEW, { input: review });
  expect(early.writeReview.errors.map((error) => error.code)).toEqual(['NOT_PURCHASED']);

  const { placeOrder } = await send<{ placeOrder: { order: { id: string } | null; errors: unknown[] } }>(
    token,
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code } } }',
    { input: { idempotencyKey: randomUUID(), items: [{ purchasableId, quantity: 1 }], shippingAddress: SHIPPING } },
  );
  expect(placeOrder.errors).toEqual([]);
  const orderId = placeOrder.order!.id;
  const statusOf = async () => (await send<{ order: { status: string } | null }>(token, 'query ($id: ID!) { order(id: $id) { status } }', { id: orderId })).order?.status;
  await waitFor(async () => (await statusOf()) === 'PAID', `order ${orderId} to be PAID`, 60_000, 250);

  // The purchase reaches reviews shortly after PAID (one more hop through the outbox): the shopper may retry.
  let written: ReviewPayload['writeReview'] | undefined;
  await waitFor(
    async () => {
      written = (await send<ReviewPayload>(token, WRITE_REVIEW, { input: review })).writeReview;
      return written.errors.length === 0;
    },
    'writeReview to be accepted',
    30_000,
    250,
  );
  expect(written?.review).toMatchObject({ verifiedPurchase: true, author: { name: 'Grace Hopper' } });
});
