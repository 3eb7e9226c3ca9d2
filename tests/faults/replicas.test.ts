/*
 * The store scaled out (npm run test:faults -- tests/faults/replicas.test.ts): two routers, two replicas of
 * every subgraph behind a round-robin proxy each, two worker hosts, on one Postgres and one Redis
 * (support/replica-stack.ts). What one of each guarantees must hold with two of each: every checkout makes one
 * order, PAID, captured once, each saga step and e-mail once (the fault suite's ledger); a change made through
 * router a is not served stale by router b; a poisoned job is dead-lettered once, not once per worker host; and
 * losing one replica of a subgraph costs the requests it was serving, not the ones after.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { deadLetterQueueOf } from '@storefront/events';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SEED_DEMO_PASSWORD, SeedNamespace, seedUser, type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { Ledger } from './support/ledger.ts';
import { metricSum, REPLICAS, startReplicaStack, type Replica, type ReplicaStack } from './support/replica-stack.ts';
import { attemptCheckout, newCheckout, StoreClient, type Answer, type Checkout } from './support/store.ts';

const PLAN: SeedPlan = { users: 10, categories: 3, products: 16, warehouses: 2, orders: 6, wishlistItemsPerUser: 1 };
const EMAIL_DEAD_LETTERS = deadLetterQueueOf('jobs.email-deliveries');
/** Domain subgraphs a shopper's pages and checkouts reach through the router (operations serves admins only). */
const SHOPPER_SUBGRAPHS = ['accounts', 'catalog', 'inventory', 'orders', 'payments', 'reviews'];

let stack: ReplicaStack;
let ledger: Ledger;
const stores = {} as Record<Replica, StoreClient>;
const tokens = new Map<number, string>();
let adminToken = '';
let products: string[] = [];
const allCheckouts: Checkout[] = [];
const started = performance.now();

const say = (message: string) => process.stderr.write(`[replicas +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const routerFor = (index: number): Replica => REPLICAS[index % REPLICAS.length] ?? 'a';

beforeAll(async () => {
  stack = await startReplicaStack({
    label: 'replicas',
    plan: PLAN,
    say,
    env: {
      router: {
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_USER: '1000000',
        // Whole responses are cached for their max-age whoever changes the data, with one router as with two;
        // the entity cache is what invalidation keeps fresh, so that is what runs here.
        CACHE_RESPONSES: 'false',
        // Deadlines are the fault suite's subject, not this one's: on two loaded cores a sign-in's argon2 alone
        // can take the default 3 s, and a timeout here would read as a replica failing.
        SUBGRAPH_TIMEOUT_MS: '10000',
        ROUTER_REQUEST_TIMEOUT_MS: '20000',
      },
      workers: { PAYMENTS_MAGIC_AMOUNTS: 'false' },
    },
  });
  for (const replica of REPLICAS) stores[replica] = new StoreClient(stack.routerUrls[replica], { clientTimeoutMs: 20_000 });
  ledger = new Ledger(stack);

  const held = await ledger.query<{ product_id: string }>(
    'inventory',
    `SELECT DISTINCT ri.product_id FROM reservation_items ri JOIN reservations r ON r.id = ri.reservation_id WHERE r.status = 'HELD'`,
  );
  const busy = new Set(held.map((row) => row.product_id));
  const candidates = Array.from({ length: PLAN.products }, (_, i) => nameBasedUuid(SeedNamespace.product, i)).filter((id) => !busy.has(id));
  const stock = await ledger.stock(candidates);
  products = candidates.filter((id) => (stock.get(id)?.available ?? 0) >= 20).slice(0, 4);
  if (products.length < 3) throw new Error(`too few products with stock to buy: ${products.length}`);

  // Signed in through both routers: a token one router issued is good at the other.
  for (let user = 0; user < PLAN.users; user += 1) {
    let answer = await stores[routerFor(user)].logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
    // A shopper whose sign-in timed out signs in again.
    for (let attempt = 1; attempt < 3 && !answer.data?.logIn?.accessToken; attempt += 1) answer = await stores[routerFor(user)].logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
    const token = answer.data?.logIn?.accessToken;
    if (!token) throw new Error(`logIn of user ${user} failed: ${JSON.stringify(answer)}`);
    if (user === 0) adminToken = token;
    else tokens.set(user, token);
  }
  say('stack up, shoppers signed in');
}, 420_000);

afterAll(async () => {
  await ledger?.close();
  await stack?.close();
  say('stack closed');
}, 60_000);

// ---------------------------------------------------------------------------------------------- helpers

let nextCheckout = 0;
function checkoutOf(): Checkout {
  const index = nextCheckout++;
  const user = 1 + (index % (PLAN.users - 1));
  const checkout = newCheckout(user, [{ purchasableId: products[index % products.length] ?? '', quantity: 1 + (index % 2) }]);
  allCheckouts.push(checkout);
  return checkout;
}

/** Places the checkout through one router, the same key again until it has an order (a shopper retrying). */
async function place(checkout: Checkout, via: Replica): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!checkout.orderId && Date.now() < deadline) {
    await attemptCheckout(stores[via], tokens.get(checkout.userIndex) ?? '', checkout);
    if (!checkout.orderId) await sleep(300);
  }
}

/** Each replica's count of a metric, from its own /metrics. */
async function perReplica(role: string, metric: string, labels: Record<string, string> = {}): Promise<Record<string, number>> {
  // A replica the test killed has no /metrics; what it counted went with it.
  const names = stack.replicasOf(role).filter((name) => stack.process(name).alive);
  const texts = await Promise.all(names.map((name) => stack.metrics(name)));
  return Object.fromEntries(names.map((name, i) => [name, metricSum(texts[i] ?? '', metric, labels)]));
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);
const whole = (answer: Answer) => answer.status === 200 && answer.errors.length === 0 && !answer.failure;
const explain = (answer: Answer) => `${answer.status} in ${Math.round(answer.ms)} ms ${answer.failure ?? ''} ${JSON.stringify(answer.errors.map((e) => e.extensions?.code ?? e.message))}`;

// ---------------------------------------------------------------------------------------------- scenarios

it('checkouts through both routers, worked by both worker hosts: one order each, PAID, captured once, every step and e-mail once', async () => {
  const stockBefore = await ledger.stock(products);
  const checkouts = Array.from({ length: 8 }, () => checkoutOf());
  // Four shoppers at a time, alternating routers; their pages and order history too, so every shopper
  // subgraph is asked through both routers.
  const lanes = [0, 1, 2, 3].map(async (lane) => {
    for (let i = lane; i < checkouts.length; i += 4) {
      const checkout = checkouts[i];
      if (!checkout) continue;
      const via = routerFor(i);
      await stores[via].productPage(checkout.items[0]?.purchasableId ?? '');
      await place(checkout, via);
      await stores[via].orderHistory(tokens.get(checkout.userIndex) ?? '');
    }
  });
  await Promise.all(lanes);
  const problems: string[] = checkouts.filter((checkout) => !checkout.orderId).map((checkout) => `checkout ${checkout.key}: no order (${checkout.answers.map(explain).join('; ')})`);
  const ids = checkouts.flatMap((checkout) => (checkout.orderId ? [checkout.orderId] : []));
  problems.push(...(await ledger.settle(ids, 60_000)).map((open) => `not settled: ${open}`));
  await ledger.settleMail(ids, 30_000);
  problems.push(...(await ledger.imbalances(checkouts.map((checkout) => checkout.key), stockBefore)));

  // Two of each did the work, not one of each with an idle twin.
  for (const subgraph of SHOPPER_SUBGRAPHS) {
    const served = await perReplica(subgraph, 'graphql_requests_total');
    for (const [name, n] of Object.entries(served)) if (n === 0) problems.push(`${name} served no request (${JSON.stringify(served)}; proxy ${JSON.stringify(stack.proxies[subgraph]?.connections())})`);
  }
  const completed = await perReplica('workers', 'bullmq_job_duration_seconds_count', { outcome: 'completed' });
  for (const [name, n] of Object.entries(completed)) if (n === 0) problems.push(`${name} completed no job (${JSON.stringify(completed)})`);
  say(`checkouts: ${ids.length} orders; jobs completed per worker host ${JSON.stringify(completed)}`);
  expect(problems).toEqual([]);
});

it('caches: what router b cached from catalog is shared with router a, and a change through router a is not served stale by router b', async () => {
  const product = products[0] ?? '';
  const [warehouse] = await ledger.query<{ warehouse_id: string }>('inventory', 'SELECT warehouse_id FROM stock_levels WHERE product_id = $1 LIMIT 1', [product]);
  const STOCK_LEVEL = 'query StockLevel($p: ID!, $w: ID!) { stockLevel(productId: $p, warehouseId: $w) { available product { name price { amount } } } }';
  const variables = { p: product, w: warehouse?.warehouse_id };
  const priceVia = async (via: Replica): Promise<number | undefined> => {
    const answer = await stores[via].send<{ stockLevel: { product: { price: { amount: number } } } | null }>(STOCK_LEVEL, variables);
    if (!whole(answer)) throw new Error(`stockLevel through router ${via}: ${explain(answer)}`);
    return answer.data?.stockLevel?.product.price.amount;
  };
  const catalogCalls = async () => sum(await perReplica('catalog', 'graphql_requests_total'));
  const [row] = await ledger.query<{ price_cents: number }>('catalog', 'SELECT price_cents FROM products WHERE id = $1', [product]);
  const price = row?.price_cents ?? 0;

  expect(await priceVia('b')).toBe(price);
  // The entity is written to Redis after the answer; once it is there, neither router asks catalog for it.
  await waitFor(
    async () => {
      const before = await catalogCalls();
      await priceVia('b');
      return (await catalogCalls()) === before;
    },
    'router b to answer the product from the entity cache',
    10_000,
    100,
  );
  const before = await catalogCalls();
  expect(await priceVia('a')).toBe(price);
  expect(await catalogCalls()).toBe(before);

  // Written behind the routers' backs, the cached price is what both keep answering: the cache is in use,
  // so the next check can fail.
  await ledger.query('catalog', 'UPDATE products SET price_cents = $2 WHERE id = $1', [product, price + 100]);
  expect(await priceVia('b')).toBe(price);

  const updated = await stores.a.send<{ updateProduct: { product: { id: string; price: { amount: number } } | null; errors: unknown[] } }>(
    'mutation ($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { product { id price { amount } } errors { code } } }',
    { id: product, amount: price + 200 },
    adminToken,
  );
  expect(updated.errors).toEqual([]);
  expect(updated.data?.updateProduct?.product?.price.amount).toBe(price + 200);
  // Router a dropped the entity from the shared cache before it answered; router b's next read is fresh.
  expect(await priceVia('b')).toBe(price + 200);
  expect(await priceVia('a')).toBe(price + 200);
});

it('a poisoned job (an e-mail the server refuses for good) is dead-lettered once, not once per worker host', async () => {
  const email = `bounce-${randomUUID().slice(0, 8)}@example.com`;
  const signedUp = await stores.b.send<{ signUp: { accessToken: string | null; errors: unknown[] } | null }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken errors { code } } }',
    { input: { email, password: 'a replicas passphrase', name: 'Bounced Shopper' } },
  );
  expect(signedUp.data?.signUp?.accessToken).toBeTruthy();

  const letters = new Queue(EMAIL_DEAD_LETTERS, { connection: { host: stack.redis.host, port: stack.redis.port, maxRetriesPerRequest: null }, prefix: stack.queuePrefix });
  try {
    await waitFor(async () => (await letters.getWaitingCount()) > 0, 'the welcome e-mail in the dead letters', 60_000, 200);
    const finalFailures = () => perReplica('workers', 'bullmq_job_failures_total', { queue: 'jobs.email-deliveries', final: 'true' });
    // A second host giving the same job up would do so within a lock period (WORKER_LOCK_MS, 5 s here).
    await sleep(6_000);
    const jobs = await letters.getJobs(['waiting'], 0, 100);
    const failures = await finalFailures();
    const attempts = await perReplica('workers', 'bullmq_job_failures_total', { queue: 'jobs.email-deliveries' });
    say(`dead letter: ${jobs.length} in ${EMAIL_DEAD_LETTERS}; given up per worker host ${JSON.stringify(failures)}`);
    expect(jobs.length).toBe(1);
    expect(sum(failures)).toBe(1);
    // A permanent refusal is not retried: one attempt, on one host.
    expect(sum(attempts)).toBe(1);
    // Looked at and discarded, as an operator would: the books at the end expect no dead letters.
    await Promise.all(jobs.map((job) => job.remove()));
  } finally {
    await letters.close();
  }
});

it('one catalog replica SIGKILLed under traffic: the other keeps serving, and checkouts placed meanwhile balance', async () => {
  const stockBefore = await ledger.stock(products);
  const victim = 'catalog-a';
  const survivor = 'catalog-b';
  const servedBefore = (await perReplica('catalog', 'graphql_requests_total'))[survivor] ?? 0;
  const answers: Array<{ sentAt: number; answer: Answer }> = [];
  let killedAt = Number.POSITIVE_INFINITY;
  const runFor = 8_000;
  const start = performance.now();
  // Each lane goes on until the window is over and it has sent two requests well after the kill, however slow
  // the machine is, so the requests after the kill are never too few to tell.
  const lanes = [0, 1, 2, 3].map(async (lane) => {
    const via = routerFor(lane);
    let afterKill = 0;
    for (let round = 0; performance.now() - start < runFor || afterKill < 2; round += 1) {
      const sentAt = performance.now();
      if (sentAt > killedAt + 1_000) afterKill += 1;
      const answer = round % 2 ? await stores[via].search(null) : await stores[via].productPage(products[(lane + round) % products.length] ?? '');
      answers.push({ sentAt, answer });
    }
  });
  const checkouts = Array.from({ length: 4 }, () => checkoutOf());
  const placing = checkouts.map(async (checkout, i) => {
    await sleep(1_000 + i * 1_500);
    await place(checkout, routerFor(i));
  });
  await sleep(2_500);
  killedAt = performance.now();
  await stack.group.kill(victim);
  await Promise.all([...lanes, ...placing]);

  const problems: string[] = [];
  const failed = answers.filter(({ answer }) => !whole(answer));
  // Only requests in flight at the kill may fail: one per lane, and none that started after the kill settled.
  const lateFailures = failed.filter(({ sentAt }) => sentAt > killedAt + 1_000);
  if (lateFailures.length) problems.push(`${lateFailures.length} requests sent more than 1 s after the kill failed: ${lateFailures.slice(0, 3).map(({ answer }) => explain(answer)).join('; ')}`);
  if (failed.length > 4) problems.push(`${failed.length} requests failed (at most one per lane expected): ${failed.slice(0, 3).map(({ answer }) => explain(answer)).join('; ')}`);
  const after = answers.filter(({ sentAt }) => sentAt > killedAt + 1_000);
  const servedAfter = (await perReplica('catalog', 'graphql_requests_total'))[survivor] ?? 0;
  if (servedAfter <= servedBefore) problems.push(`${survivor} served nothing more after ${victim} died`);

  problems.push(...checkouts.filter((checkout) => !checkout.orderId).map((checkout) => `checkout ${checkout.key}: no order (${checkout.answers.map(explain).join('; ')})`));
  const ids = checkouts.flatMap((checkout) => (checkout.orderId ? [checkout.orderId] : []));
  problems.push(...(await ledger.settle(ids, 60_000)).map((open) => `not settled: ${open}`));
  await ledger.settleMail(ids, 30_000);
  problems.push(...(await ledger.imbalances(checkouts.map((checkout) => checkout.key), stockBefore)));
  say(`kill: ${answers.length} requests, ${failed.length} failed (in flight at the kill), ${after.length} after it all whole`);
  expect(problems).toEqual([]);
});

it('afterwards: every checkout of the run balances, every event was applied once, no dead letters, no e-mail twice', async () => {
  const problems = await ledger.plumbingProblems();
  problems.push(...ledger.duplicateMail().map((duplicate) => `e-mail sent twice: ${duplicate}`));
  const keys = allCheckouts.map((checkout) => checkout.key);
  const orders = await ledger.query<{ n: string }>('orders', 'SELECT count(*) AS n FROM orders WHERE idempotency_key = ANY($1)', [keys]);
  if (Number(orders[0]?.n) !== keys.length) problems.push(`${orders[0]?.n} orders for ${keys.length} checkouts`);
  expect(problems).toEqual([]);
});
