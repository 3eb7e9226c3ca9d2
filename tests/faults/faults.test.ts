/*
 * The fault suite (npm run test:faults): the real store as separate processes on a Postgres and a Redis of its
 * own (support/fault-stack.ts), faults injected one after another into that one stack. Each scenario asserts
 * what shoppers saw while the fault lasted — answers within the deadlines, the parts of a page that still
 * answer, typed errors naming the failing subgraph — and, once it is over, that the books balance exactly for
 * the checkouts placed around it: one order per checkout, each paid order charged once, stock down by what was
 * sold and nothing left reserved, every saga step once, every e-mail once (support/ledger.ts).
 *
 * Problems are collected per scenario and asserted as one list, so a failure report shows everything the fault
 * broke rather than the first thing.
 */
import { Queue, type Job } from 'bullmq';
import { nameBasedUuid } from '@storefront/api-conventions';
import { SEED_DEMO_PASSWORD, SeedNamespace, seedUser, type SeedPlan } from '@storefront/seed-world';
import { waitFor } from '@storefront/testing';
import { emailDeliveryId } from '../../subgraphs/notifications/src/email-deliveries.ts';
import { startFaultStack, type FaultStack } from './support/fault-stack.ts';
import { Ledger } from './support/ledger.ts';
import { attemptCheckout, newCheckout, StoreClient, type Answer, type Checkout, type GraphQLError, type ProductPageData } from './support/store.ts';

const PLAN: SeedPlan = { users: 12, categories: 3, products: 24, warehouses: 2, orders: 12, wishlistItemsPerUser: 1 };
/** The router's deadline per subgraph call in this stack; every bound below is a multiple of it. */
const SUBGRAPH_TIMEOUT_MS = 3_000;
/**
 * While a subgraph is down or hung, a page answers within three deadlines: a plan may reach the same subgraph in
 * two hops one after the other (inventory's stock, then the shipping estimate it @requires), each with its own.
 */
const SUBGRAPH_FAULT_BOUND_MS = 3 * SUBGRAPH_TIMEOUT_MS;
const BREAKER_COOLDOWN_MS = 2_000;
/** A Redis fault must cost a request less than one subgraph deadline (its own deadlines are far shorter). */
const REDIS_FAULT_BOUND_MS = SUBGRAPH_TIMEOUT_MS;
/** How long a checkout may take to settle after its fault is over (relays, retries' backoff, stalled jobs). */
const SETTLE_MS = 90_000;

let stack: FaultStack;
let store: StoreClient;
let ledger: Ledger;
const tokens = new Map<number, string>();
/** Products the checkouts buy: seeded ones no seeded reservation holds, so their stock moves only with ours. */
let products: string[] = [];
const pages = new Map<string, ProductPageData>();
const allCheckouts: Checkout[] = [];
let suiteStock: Map<string, { onHand: number; reserved: number }>;
let nextUser = 0;
const started = performance.now();

const say = (message: string) => process.stderr.write(`[faults +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  stack = await startFaultStack({
    label: 'faults',
    plan: PLAN,
    say,
    env: {
      router: {
        SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
        CIRCUIT_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
        // One client address sends everything; the limits stay on (they are a Redis call on every request).
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_USER: '1000000',
        // A product page cached a few seconds before a fault would hide it; the other caches stay on.
        CACHE_RESPONSES: 'false',
      },
      // Seeded prices may end in the simulator's magic 13 or 07 cents; these checkouts are meant to be paid.
      workers: { PAYMENTS_MAGIC_AMOUNTS: 'false' },
    },
  });
  // Far past every bound below, short enough that a request the fault holds does not stall the suite.
  store = new StoreClient(stack.routerUrl, { clientTimeoutMs: 20_000 });
  ledger = new Ledger(stack);

  const held = await ledger.query<{ product_id: string }>(
    'inventory',
    `SELECT DISTINCT ri.product_id FROM reservation_items ri JOIN reservations r ON r.id = ri.reservation_id WHERE r.status = 'HELD'`,
  );
  const busy = new Set(held.map((row) => row.product_id));
  const candidates = Array.from({ length: PLAN.products }, (_, i) => nameBasedUuid(SeedNamespace.product, i)).filter((id) => !busy.has(id));
  const stock = await ledger.stock(candidates);
  products = candidates.filter((id) => (stock.get(id)?.available ?? 0) >= 20).slice(0, 6);
  if (products.length < 3) throw new Error(`too few products with stock to buy: ${products.length}`);
  suiteStock = await ledger.stock(products);

  for (let user = 1; user < PLAN.users; user += 1) {
    const answer = await store.logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
    const token = answer.data?.logIn?.accessToken;
    if (!token) throw new Error(`logIn of user ${user} failed: ${JSON.stringify(answer)}`);
    tokens.set(user, token);
  }
  for (const id of products) {
    const page = await store.productPage(id);
    if (!page.data?.product || page.errors.length) throw new Error(`the product page of ${id} does not answer whole before any fault: ${JSON.stringify(page)}`);
    pages.set(id, page.data.product);
  }
  say('stack up, shoppers signed in');
}, 300_000);

afterAll(async () => {
  await ledger?.close();
  await stack?.close();
  say('stack closed');
}, 60_000);

// ---------------------------------------------------------------------------------------------- helpers

function userToken(): { user: number; token: string } {
  const user = 1 + (nextUser++ % (PLAN.users - 1));
  return { user, token: tokens.get(user) ?? '' };
}

function checkoutOf(index: number): Checkout {
  const { user } = userToken();
  const product = products[index % products.length] ?? '';
  const checkout = newCheckout(user, [{ purchasableId: product, quantity: 1 + (index % 2) }]);
  allCheckouts.push(checkout);
  return checkout;
}

/** The shopper's patience: the same checkout again (same idempotency key) until it has an order. */
async function checkOutUntilPlaced(checkout: Checkout, patienceMs = 60_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  const token = tokens.get(checkout.userIndex) ?? '';
  while (!checkout.orderId && Date.now() < deadline) {
    await attemptCheckout(store, token, checkout);
    if (!checkout.orderId) await sleep(500);
  }
}

const describeAnswer = (answer: Answer) =>
  `${answer.status} in ${Math.round(answer.ms)} ms${answer.failure ? ` (${answer.failure})` : ''}: ${JSON.stringify({ data: answer.data, errors: answer.errors.map((e) => ({ path: e.path, code: e.extensions?.code, serviceName: e.extensions?.serviceName })) }).slice(0, 600)}`;

/** `fn` run at most once: every call shares the first call's promise (a fault is lifted once, on time or in finally). */
function once(fn: () => void | Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= Promise.resolve().then(fn));
}

/**
 * Runs `probe` again and again, one at a time as a user clicking would, while the fault lasts: `lift` ends it
 * after `ms` on a timer, so a probe the fault holds cannot stretch the fault; the probe in flight then finishes.
 */
async function whileFaultLasts<T>(ms: number, lift: () => Promise<void>, probe: (round: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    // The rejection, if any, is awaited below; this only keeps it from counting as unhandled meanwhile.
    lift().catch(() => undefined);
  }, ms);
  try {
    for (let round = 0; !over; round += 1) results.push(await probe(round));
  } finally {
    clearTimeout(timer);
    await lift();
  }
  return results;
}

function errorsOf(answer: Answer, serviceName: string): GraphQLError[] {
  return answer.errors.filter((error) => error.extensions?.serviceName === serviceName);
}

/** What a page answered during a subgraph fault, checked against what it must show. */
function checkPartialPage(answer: Answer<{ product: ProductPageData | null }>, id: string, failing: string, codes: string[], hidden: Array<keyof ProductPageData>, bound: number): string[] {
  const problems: string[] = [];
  const expected = pages.get(id);
  const product = answer.data?.product;
  const what = `product page ${id} (${describeAnswer(answer)})`;
  if (answer.status !== 200) problems.push(`${what}: HTTP ${answer.status}`);
  if (answer.ms > bound) problems.push(`${what}: took ${Math.round(answer.ms)} ms (bound ${bound})`);
  if (!product || product.name !== expected?.name || product.sku !== expected?.sku) problems.push(`${what}: catalog's part is missing`);
  for (const field of hidden) if (product && product[field] !== null && product[field] !== undefined) problems.push(`${what}: ${field} answered while ${failing} is down`);
  const failures = errorsOf(answer, failing);
  if (failures.length === 0) problems.push(`${what}: no error names ${failing}`);
  for (const error of failures) {
    if (!codes.includes(error.extensions?.code ?? '')) problems.push(`${what}: error code ${error.extensions?.code} (expected ${codes.join(' or ')})`);
    if (error.path?.[0] !== 'product') problems.push(`${what}: error path ${JSON.stringify(error.path)} is not under product`);
  }
  const masked = answer.errors.filter((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR');
  if (masked.length) problems.push(`${what}: ${masked.length} INTERNAL_SERVER_ERROR`);
  return problems;
}

/** A page that answers whole again (the breaker closed after its probe), within `timeoutMs`. */
async function recovered(id: string, timeoutMs = 30_000): Promise<string[]> {
  let last: Answer<{ product: ProductPageData | null }> | undefined;
  try {
    await waitFor(
      async () => {
        const page = await store.productPage(id);
        last = page;
        return page.status === 200 && page.errors.length === 0 && page.data?.product?.name === pages.get(id)?.name;
      },
      `the product page of ${id} to answer whole again`,
      timeoutMs,
      250,
    );
    return [];
  } catch {
    return [`the product page never answered whole again after the fault: ${last ? describeAnswer(last) : 'no answer'}`];
  }
}

/** Settles these checkouts and returns what does not balance for them. */
async function books(checkouts: Checkout[], stockBefore: Map<string, { onHand: number; reserved: number }>, settleMs = SETTLE_MS): Promise<string[]> {
  const unplaced = checkouts.filter((checkout) => !checkout.orderId).map((checkout) => `checkout ${checkout.key} never got an order: ${checkout.answers.map(describeAnswer).slice(-2).join(' | ')}`);
  const ids = checkouts.flatMap((checkout) => (checkout.orderId ? [checkout.orderId] : []));
  const open = await ledger.settle(ids, settleMs);
  if (open.length) return [...unplaced, ...open.map((order) => `saga not finished after ${settleMs / 1000} s: ${order}`)];
  await ledger.settleMail(ids, 30_000);
  return [...unplaced, ...(await ledger.imbalances(checkouts.map((checkout) => checkout.key), stockBefore))];
}

function checkAnswered(answer: Answer, what: string, bound: number, accept: (answer: Answer) => boolean): string[] {
  const problems: string[] = [];
  if (answer.ms > bound) problems.push(`${what}: took ${Math.round(answer.ms)} ms (bound ${bound}): ${describeAnswer(answer)}`);
  if (!accept(answer)) problems.push(`${what}: ${describeAnswer(answer)}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------- scenarios

it('answers whole and balances its books with no fault (the baseline every scenario is compared with)', async () => {
  const before = await ledger.stock(products);
  const checkouts = [checkoutOf(0), checkoutOf(1)];
  await Promise.all(checkouts.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
  const placedAt = performance.now();
  const problems = await books(checkouts, before);
  say(`baseline: two checkouts settled ${((performance.now() - placedAt) / 1000).toFixed(1)} s after they were placed`);
  expect(problems).toEqual([]);
}, 150_000);

it('a subgraph killed (SIGKILL reviews): pages and search keep what other subgraphs serve, SUBGRAPH_UNAVAILABLE for the rest, checkouts go on', async () => {
  const before = await ledger.stock(products);
  const checkouts = [checkoutOf(2), checkoutOf(3)];
  const problems: string[] = [];
  const lift = once(() => stack.restart('reviews'));
  await stack.group.kill('reviews');
  try {
    const placing = Promise.all(checkouts.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
    const rounds = await whileFaultLasts(6_000, lift, async (round) => {
      const id = products[round % products.length] ?? '';
      const page = await store.productPage(id);
      const found: string[] = checkPartialPage(page, id, 'reviews', ['SUBGRAPH_UNAVAILABLE'], ['averageRating', 'reviewCount', 'reviews'], SUBGRAPH_FAULT_BOUND_MS);
      const search = await store.search(null);
      const nodes = search.data?.products?.edges.map((edge) => edge.node) ?? [];
      if (search.ms > SUBGRAPH_FAULT_BOUND_MS) found.push(`search took ${Math.round(search.ms)} ms`);
      if (nodes.length === 0 || nodes.some((node) => !node.name)) found.push(`search lost catalog's results: ${describeAnswer(search)}`);
      if (nodes.some((node) => node.averageRating !== null)) found.push(`search answered averageRating while reviews is down`);
      if (!errorsOf(search, 'reviews').every((error) => error.extensions?.code === 'SUBGRAPH_UNAVAILABLE') || errorsOf(search, 'reviews').length === 0) {
        found.push(`search: reviews' failure is not SUBGRAPH_UNAVAILABLE with serviceName reviews: ${describeAnswer(search)}`);
      }
      return found;
    });
    problems.push(...rounds.flat());
    await placing;
    for (const checkout of checkouts) {
      const first = checkout.answers[0];
      if (!first || !first.data?.placeOrder?.order) problems.push(`a checkout failed while reviews was down: ${first ? describeAnswer(first) : 'no answer'}`);
    }
  } finally {
    await lift();
  }
  problems.push(...(await recovered(products[0] ?? '')));
  problems.push(...(await books(checkouts, before)));
  expect([...new Set(problems)]).toEqual([]);
}, 150_000);

it('a subgraph frozen (SIGSTOP inventory): answers within the deadline, SUBGRAPH_TIMEOUT and then an open breaker, checkouts go on', async () => {
  const before = await ledger.stock(products);
  const checkouts = [checkoutOf(4), checkoutOf(5)];
  const problems: string[] = [];
  const answers: Array<Answer<{ product: ProductPageData | null }>> = [];
  const lift = once(() => stack.group.thaw('inventory'));
  stack.group.freeze('inventory');
  try {
    const placing = Promise.all(checkouts.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
    const rounds = await whileFaultLasts(4 * SUBGRAPH_TIMEOUT_MS, lift, async (round) => {
      const id = products[round % products.length] ?? '';
      const page = await store.productPage(id);
      answers.push(page);
      return checkPartialPage(page, id, 'inventory', ['SUBGRAPH_TIMEOUT', 'SUBGRAPH_UNAVAILABLE'], ['stock', 'shippingEstimate'], SUBGRAPH_FAULT_BOUND_MS);
    });
    problems.push(...rounds.flat());
    await placing;
    for (const checkout of checkouts) {
      const first = checkout.answers[0];
      if (!first?.data?.placeOrder?.order || first.ms > SUBGRAPH_FAULT_BOUND_MS) problems.push(`a checkout suffered from inventory being frozen: ${first ? describeAnswer(first) : 'no answer'}`);
    }
  } finally {
    await lift();
  }
  const codes = answers.flatMap((answer) => errorsOf(answer, 'inventory').map((error) => error.extensions?.code));
  if (!codes.includes('SUBGRAPH_TIMEOUT')) problems.push(`no SUBGRAPH_TIMEOUT for the frozen inventory (codes: ${[...new Set(codes)].join(', ')})`);
  // Two timeouts open the breaker: after the first page only the half-open probe, one per cooldown, may wait
  // for the deadline; every other page is answered at once.
  const waited = answers.slice(1).filter((answer) => answer.ms >= SUBGRAPH_TIMEOUT_MS);
  const probes = Math.ceil((4 * SUBGRAPH_TIMEOUT_MS) / (BREAKER_COOLDOWN_MS + SUBGRAPH_TIMEOUT_MS));
  if (answers.length < 4) problems.push(`only ${answers.length} pages answered while inventory was frozen for ${(4 * SUBGRAPH_TIMEOUT_MS) / 1000} s`);
  if (waited.length > probes) {
    problems.push(`${waited.length} of ${answers.length - 1} pages after the first waited the full deadline (${waited.map((answer) => Math.round(answer.ms)).join(', ')} ms; at most ${probes} probes allowed): the breaker did not open on timeouts`);
  }
  const slow = answers.filter((answer) => answer.ms >= SUBGRAPH_TIMEOUT_MS / 2).map((answer) => Math.round(answer.ms));
  say(`inventory frozen: ${answers.length} pages, the slow ones in ${slow.join(', ')} ms`);
  problems.push(...(await recovered(products[1] ?? '')));
  problems.push(...(await books(checkouts, before)));
  expect([...new Set(problems)]).toEqual([]);
}, 150_000);

/** A shopper's whole visit during a Redis fault: page, search, sign-in, order history, checkout. */
async function visitDuringRedisFault(round: number, checkout: Checkout): Promise<string[]> {
  const id = products[round % products.length] ?? '';
  const { token } = userToken();
  const user = 1 + (round % (PLAN.users - 1));
  const problems: string[] = [];
  const page = await store.productPage(id);
  problems.push(...checkAnswered(page, 'product page', REDIS_FAULT_BOUND_MS, (a) => a.status === 200 && a.errors.length === 0 && (a.data as { product?: ProductPageData })?.product?.name === pages.get(id)?.name));
  const search = await store.search('a');
  problems.push(...checkAnswered(search, 'search', REDIS_FAULT_BOUND_MS, (a) => a.status === 200 && a.errors.length === 0));
  const login = await store.logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
  problems.push(...checkAnswered(login, 'logIn', REDIS_FAULT_BOUND_MS, (a) => !!(a.data as { logIn?: { accessToken?: string } })?.logIn?.accessToken));
  const history = await store.orderHistory(token);
  problems.push(...checkAnswered(history, 'order history', REDIS_FAULT_BOUND_MS, (a) => a.status === 200 && a.errors.length === 0 && !!(a.data as { me?: unknown })?.me));
  if (!checkout.orderId) {
    const answer = await attemptCheckout(store, tokens.get(checkout.userIndex) ?? '', checkout);
    problems.push(...checkAnswered(answer, 'placeOrder', REDIS_FAULT_BOUND_MS, (a) => !!(a.data as { placeOrder?: { order?: unknown } })?.placeOrder?.order));
  }
  return problems;
}

it('Redis shut down and restarted: the store serves and takes orders without it, and the queued work resumes', async () => {
  const before = await ledger.stock(products);
  // In flight when Redis goes: their next saga steps wait in outboxes until it is back.
  const early = [checkoutOf(6), checkoutOf(7)];
  await Promise.all(early.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
  const during: Checkout[] = [];
  const problems: string[] = [];
  const lift = once(() => stack.redis.start());
  await stack.redis.shutdown();
  try {
    const rounds = await whileFaultLasts(8_000, lift, async (round) => {
      const checkout = checkoutOf(8 + round);
      during.push(checkout);
      return visitDuringRedisFault(round, checkout);
    });
    problems.push(...rounds.flat());
  } finally {
    await lift();
  }
  // A checkout refused during the outage is retried by its shopper afterwards, with the same key.
  await Promise.all(during.map((checkout) => checkOutUntilPlaced(checkout, 30_000)));
  problems.push(...(await books([...early, ...during], before)));
  expect([...new Set(problems)]).toEqual([]);
}, 200_000);

it('Redis frozen (SIGSTOP): no request waits on it beyond its deadlines, and the queued work resumes once it answers', async () => {
  const before = await ledger.stock(products);
  const early = [checkoutOf(20), checkoutOf(21)];
  await Promise.all(early.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
  const during: Checkout[] = [];
  const problems: string[] = [];
  const lift = once(() => stack.redis.thaw());
  stack.redis.freeze();
  try {
    const rounds = await whileFaultLasts(8_000, lift, async (round) => {
      const checkout = checkoutOf(22 + round);
      during.push(checkout);
      return visitDuringRedisFault(round, checkout);
    });
    problems.push(...rounds.flat());
  } finally {
    await lift();
  }
  await Promise.all(during.map((checkout) => checkOutUntilPlaced(checkout, 30_000)));
  problems.push(...(await books([...early, ...during], before)));
  expect([...new Set(problems)]).toEqual([]);
}, 200_000);

it('Postgres restarted during checkouts: requests answer within the deadline meanwhile, retried checkouts make one order each, e-mails go once', async () => {
  const before = await ledger.stock(products);
  const checkouts = Array.from({ length: 6 }, (_, i) => checkoutOf(40 + i));
  const problems: string[] = [];
  // Half placed before the restart (their sagas run into it), half during it (their shoppers retry).
  await Promise.all(checkouts.slice(0, 3).map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
  const downSince = performance.now();
  let downFor = 0;
  const lift = once(async () => {
    downFor = performance.now() - downSince;
    await stack.postgres.start();
  });
  await stack.postgres.stop('fast');
  try {
    const rounds = await whileFaultLasts(6_000, lift, async (round) => {
      const checkout = checkouts[3 + (round % 3)];
      const found: string[] = [];
      const page = await store.productPage(products[round % products.length] ?? '');
      found.push(...checkAnswered(page, 'product page with Postgres down', SUBGRAPH_FAULT_BOUND_MS, (a) => a.status !== 0));
      if (checkout && !checkout.orderId) {
        const answer = await attemptCheckout(store, tokens.get(checkout.userIndex) ?? '', checkout);
        found.push(...checkAnswered(answer, 'placeOrder with Postgres down', SUBGRAPH_FAULT_BOUND_MS, (a) => a.status !== 0));
      }
      return found;
    });
    problems.push(...rounds.flat());
  } finally {
    await lift();
  }
  say(`postgres was down ${(downFor / 1000).toFixed(1)} s`);
  await Promise.all(checkouts.map((checkout) => checkOutUntilPlaced(checkout, 45_000)));
  problems.push(...(await books(checkouts, before)));
  problems.push(...ledger.duplicateMail().map((duplicate) => `e-mail sent twice: ${duplicate}`));
  expect([...new Set(problems)]).toEqual([]);
}, 240_000);

it('workers SIGKILLed mid-saga and restarted: every saga finishes once, nothing is charged, shipped or mailed twice', async () => {
  const before = await ledger.stock(products);
  const checkouts = Array.from({ length: 6 }, (_, i) => checkoutOf(60 + i));
  await Promise.all(checkouts.map((checkout) => checkOutUntilPlaced(checkout, 20_000)));
  const ids = checkouts.flatMap((checkout) => (checkout.orderId ? [checkout.orderId] : []));
  // Mid-saga: some checkouts past their first step, not all of them finished.
  await waitFor(
    async () => {
      const sagas = [...(await ledger.sagas(ids)).values()];
      return sagas.some((saga) => saga.state !== 'RESERVING_STOCK') || sagas.every((saga) => saga.finished);
    },
    'a saga to get past its first step',
    30_000,
    20,
  );
  const sagas = [...(await ledger.sagas(ids)).values()];
  say(`workers killed with sagas at ${sagas.map((saga) => saga.state).join(', ')}`);
  await stack.group.kill('workers');
  await sleep(1_000);
  await stack.restart('workers');
  const problems = await books(checkouts, before);
  problems.push(...ledger.duplicateMail().map((duplicate) => `e-mail sent twice: ${duplicate}`));
  expect(sagas.every((saga) => saga.finished)).toBe(false);
  expect(problems).toEqual([]);
}, 200_000);

it('duplicated deliveries (a delivered event or e-mail job added again): applied once, nothing happens twice', async () => {
  const paid = allCheckouts.find((checkout) => checkout.orderId);
  const orderId = paid?.orderId;
  if (!paid || !orderId) throw new Error('no paid order from an earlier scenario');
  const connection = { host: stack.redis.host, port: stack.redis.port, maxRetriesPerRequest: null };
  const eventId = async (service: string, type: string, to?: string) => {
    const rows = await ledger.query<{ id: string }>(
      service,
      `SELECT id::text AS id FROM outbox_events WHERE aggregate_id = $1 AND type = $2 AND ($3::text IS NULL OR payload->>'to' = $3)`,
      [orderId, type, to ?? null],
    );
    if (rows.length !== 1 || !rows[0]) throw new Error(`${rows.length} ${type} events for ${orderId}`);
    return rows[0].id;
  };
  const notice = await ledger.query<{ id: string }>('notifications', `SELECT id FROM notifications WHERE order_id = $1 AND kind = 'ORDER_PAID'`, [orderId]);
  const deliveries: Array<[string, string]> = [
    ['events.inventory', await eventId('orders', 'StockCommitRequested')],
    ['events.payments', await eventId('orders', 'PaymentCaptureRequested')],
    ['events.orders-saga', await eventId('payments', 'PaymentCaptured')],
    ['events.notifications', await eventId('orders', 'OrderStatusChanged', 'PAID')],
    ['events.orders-documents', await eventId('orders', 'OrderStatusChanged', 'PAID')],
    ['jobs.email-deliveries', emailDeliveryId(notice[0]?.id ?? '')],
  ];
  const fingerprint = async () => ({
    stock: [...(await ledger.stock(paid.items.map((item) => item.purchasableId))).entries()],
    events: [...(await ledger.eventCounts([orderId])).entries()].map(([id, counts]) => [id, [...counts.entries()].sort()]),
    captures: await ledger.query(
      'payments',
      `SELECT count(*)::int AS n FROM provider_calls c JOIN payments p ON p.id = c.payment_id WHERE p.order_id = $1 AND c.operation = 'CAPTURE'`,
      [orderId],
    ),
    mails: stack.mail.messages.length,
    notifications: await ledger.query('notifications', 'SELECT count(*)::int AS n FROM notifications WHERE order_id = $1', [orderId]),
    order: await ledger.query('orders', 'SELECT status::text AS status, total_cents FROM orders WHERE id = $1', [orderId]),
  });
  const before = await fingerprint();
  const again: Array<{ queue: Queue; job: Job }> = [];
  try {
    for (const [name, id] of deliveries) {
      const queue = new Queue(name, { connection, prefix: stack.queuePrefix });
      const original = await queue.getJob(id);
      if (!original) throw new Error(`the delivered job ${name}/${id} is gone from its queue`);
      expect(await original.getState()).toBe('completed');
      again.push({ queue, job: await queue.add(original.name, original.data, { jobId: `${id}-again`, attempts: 3, backoff: { type: 'fixed', delay: 500 } }) });
    }
    await waitFor(
      async () => (await Promise.all(again.map(({ job }) => job.getState()))).every((state) => state === 'completed' || state === 'failed'),
      'the duplicated jobs to be processed',
      30_000,
      100,
    );
    const states = await Promise.all(again.map(async ({ queue, job }) => `${queue.name}: ${await job.getState()}`));
    expect(states).toEqual(again.map(({ queue }) => `${queue.name}: completed`));
    // Whatever a duplicate might have set in motion has had its chance to show.
    await sleep(2_000);
    expect(await fingerprint()).toEqual(before);
    expect(await ledger.imbalances([paid.key], new Map())).toEqual([]);
    expect(ledger.duplicateMail()).toEqual([]);
  } finally {
    await Promise.all(again.map(({ queue }) => queue.close()));
  }
}, 120_000);

it('afterwards, over the whole run: every checkout balances, every event was applied, no dead letters, no e-mail twice', async () => {
  const problems = await books(allCheckouts, suiteStock, 30_000);
  problems.push(...(await ledger.plumbingProblems()));
  problems.push(...ledger.duplicateMail().map((duplicate) => `e-mail sent twice: ${duplicate}`));
  for (const [queue, letters] of await ledger.sweepDeadLetters()) say(`note: ${queue} holds ${letters.length} dead letters (${letters.slice(0, 2).join('; ')})`);
  say(`${allCheckouts.length} checkouts, ${stack.mail.messages.length} e-mails caught`);
  expect(problems).toEqual([]);
}, 120_000);
