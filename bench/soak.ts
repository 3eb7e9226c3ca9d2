/*
 * npm run bench:soak — the store under steady mixed traffic for N minutes, to see whether it stays flat.
 *
 *   1. starts the whole store as separate processes on a Postgres cluster and a Redis of its own (the fault
 *      suite's stack, tests/faults/support/fault-stack.ts: nothing shared with the machine's 5432/6379), seeded
 *      with the demo plan;
 *   2. signs the shoppers in, then runs virtual shoppers through the router, each in a loop with a short think
 *      time: product pages, searches, order histories, sign-ins and checkouts (the README's operations);
 *   3. prints, for every minute, p50/p99 per operation and overall, errors by code, checkouts placed and paid
 *      with their placeOrder → PAID time, the jobs waiting in each queue, and the RSS of every process (VmRSS
 *      from /proc/<pid>/status; Postgres also with its backends); at the end the same as tables and how each
 *      process's RSS moved from the first minute to the last.
 * Flat is the target: no trend in p99, checkout time, backlog or RSS after the first minute. Prints figures,
 * asserts nothing.
 *
 * Flags: --minutes <n> (default 10) --shoppers <n> (concurrent virtual shoppers, default 6)
 *        --think <ms> (pause between a shopper's requests, default 100)
 */
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { consumerQueueName, JOB_QUEUES, STORE_SUBSCRIPTIONS } from '@storefront/events';
import { SEED_DEMO_PASSWORD, SEED_PLANS, seedProduct, seedUser } from '@storefront/seed-world';
import { startFaultStack, type FaultStack } from '../tests/faults/support/fault-stack.ts';
import { Ledger } from '../tests/faults/support/ledger.ts';
import { newCheckout, attemptCheckout, StoreClient, type Answer } from '../tests/faults/support/store.ts';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    shoppers: { type: 'string', default: '6' },
    think: { type: 'string', default: '100' },
  },
});
const MINUTES = Number(flags.minutes);
const SHOPPERS = Number(flags.shoppers);
const THINK_MS = Number(flags.think);
if (!(MINUTES > 0) || !(SHOPPERS > 0) || !(THINK_MS >= 0)) {
  process.stderr.write('usage: npm run bench:soak -- [--minutes 10] [--shoppers 6] [--think 100]\n');
  process.exit(2);
}
const PLAN = SEED_PLANS.demo;
const MINUTE_MS = 60_000;

const say = (message: string) => process.stdout.write(`[soak] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Operation = 'product page' | 'search' | 'order history' | 'sign-in' | 'checkout';
/** The mix, by weight: mostly browsing, a few sign-ins and checkouts, as a store's traffic is. */
const MIX: Array<[Operation, number]> = [
  ['product page', 50],
  ['search', 25],
  ['order history', 10],
  ['sign-in', 5],
  ['checkout', 10],
];
const SEARCH_WORDS = ['steel', 'plastic', 'wooden', 'cotton', 'granite', 'fresh', 'soft', null];

interface Minute {
  latencies: Map<Operation, number[]>;
  errors: Map<Operation, number>;
  /** What the errors were: `<operation> <code or HTTP status>` → how many. */
  errorKinds: Map<string, number>;
  orderIds: string[];
  rss: Record<string, number>;
  /** Jobs waiting per queue at the minute's end (not delayed: every scheduled sweep has its next run there): a backlog that grows is work falling behind. */
  backlog: Record<string, number>;
}

const newMinute = (): Minute => ({ latencies: new Map(), errors: new Map(), errorKinds: new Map(), orderIds: [], rss: {}, backlog: {} });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : `${Math.round(value)}`);
const mb = (kb: number | undefined) => (kb === undefined ? '—' : `${Math.round(kb / 1024)}`);

/** What went wrong with an answer (the first error's code, the HTTP status, no response), or null when nothing did. */
function failure(answer: Answer): string | null {
  if (answer.failure) return answer.status ? `HTTP ${answer.status}` : 'no response';
  if (answer.errors.length) return String(answer.errors[0]?.extensions?.code ?? answer.errors[0]?.message ?? 'error');
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  return answer.data ? null : 'no data';
}

function pickOperation(random: number): Operation {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let target = random * total;
  for (const [operation, weight] of MIX) {
    target -= weight;
    if (target <= 0) return operation;
  }
  return 'product page';
}

function minuteLine(index: number, minute: Minute): string {
  const all = [...minute.latencies.values()].flat().sort((a, b) => a - b);
  const errors = [...minute.errors.values()].reduce((sum, n) => sum + n, 0);
  const parts = MIX.map(([operation]) => {
    const sorted = [...(minute.latencies.get(operation) ?? [])].sort((a, b) => a - b);
    return `${operation} ${ms(percentile(sorted, 50))}/${ms(percentile(sorted, 99))}`;
  });
  return `minute ${index + 1}: ${all.length} requests (${(all.length / 60).toFixed(1)}/s), p50 ${ms(percentile(all, 50))} ms, p99 ${ms(percentile(all, 99))} ms, ${errors} errors · ${parts.join(' · ')} (p50/p99 ms)`;
}

function rssLine(rss: Record<string, number>): string {
  return Object.entries(rss)
    .map(([name, kb]) => `${name} ${mb(kb)}`)
    .join(', ');
}

async function main(): Promise<void> {
  const started = performance.now();
  let stack: FaultStack | undefined;
  let ledger: Ledger | undefined;
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    say(`starting the store (demo plan: ${PLAN.products} products, ${PLAN.users} users) on its own Postgres and Redis`);
    stack = await startFaultStack({
      label: 'soak',
      plan: PLAN,
      say,
      env: {
        // One client address sends everything; the limits stay on so their Redis calls are part of the load.
        router: { RATE_LIMIT_PER_IP: '100000000', RATE_LIMIT_PER_USER: '100000000' },
        workers: { PAYMENTS_MAGIC_AMOUNTS: 'false' },
      },
    });
    ledger = new Ledger(stack);
    // Ten minutes of checkouts must not run the store out of stock: that would measure OUT_OF_STOCK, not the store.
    await ledger.query('inventory', 'UPDATE stock_levels SET on_hand = on_hand + 1000000, available = available + 1000000');
    const store = new StoreClient(stack.routerUrl);
    const users = Array.from({ length: Math.min(PLAN.users - 1, 50) }, (_, i) => i + 1);
    const tokens = new Map<number, string>();
    for (const user of users) {
      const answer = await store.logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
      const token = answer.data?.logIn?.accessToken;
      if (!token) throw new Error(`logIn of seeded user ${user} failed: ${JSON.stringify(answer.errors)}`);
      tokens.set(user, token);
    }
    const productIds = Array.from({ length: PLAN.products }, (_, i) => seedProduct(i, PLAN).id);
    const buyable = productIds.slice(0, 50);
    say(`${tokens.size} shoppers signed in; ${SHOPPERS} at a time for ${MINUTES} min, ${THINK_MS} ms think time`);

    const minutes: Minute[] = [];
    const soakStart = performance.now();
    const soakEnd = soakStart + MINUTES * MINUTE_MS;
    const minuteOf = () => Math.min(MINUTES - 1, Math.floor((performance.now() - soakStart) / MINUTE_MS));
    const current = () => (minutes[minuteOf()] ??= newMinute());
    let seed = 1;
    const random = () => {
      // mulberry32: the same sequence of operations every run
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

    async function shopper(): Promise<void> {
      while (!stopping && performance.now() < soakEnd) {
        const operation = pickOperation(random());
        const user = pick(users);
        const token = tokens.get(user) ?? '';
        let answer: Answer;
        let orderId: string | undefined;
        switch (operation) {
          case 'product page':
            answer = await store.productPage(pick(productIds));
            break;
          case 'search':
            answer = await store.search(pick(SEARCH_WORDS));
            break;
          case 'order history':
            answer = await store.orderHistory(token);
            break;
          case 'sign-in': {
            answer = await store.logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
            const fresh = (answer.data as { logIn?: { accessToken?: string | null } } | null | undefined)?.logIn?.accessToken;
            if (fresh) tokens.set(user, fresh);
            break;
          }
          case 'checkout': {
            const checkout = newCheckout(user, [{ purchasableId: pick(buyable), quantity: 1 + Math.floor(random() * 3) }]);
            answer = await attemptCheckout(store, token, checkout);
            orderId = checkout.orderId;
            const inputErrors = (answer.data as { placeOrder?: { errors?: Array<{ code: string }> } | null } | null | undefined)?.placeOrder?.errors ?? [];
            if (!orderId && answer.errors.length === 0) answer.errors.push({ message: inputErrors[0]?.code ?? 'no order' });
            break;
          }
        }
        const minute = current();
        const list = minute.latencies.get(operation) ?? [];
        list.push(answer.ms);
        minute.latencies.set(operation, list);
        const wrong = failure(answer);
        if (wrong) {
          minute.errors.set(operation, (minute.errors.get(operation) ?? 0) + 1);
          const kind = `${operation} ${wrong}`;
          minute.errorKinds.set(kind, (minute.errorKinds.get(kind) ?? 0) + 1);
        }
        if (orderId) minute.orderIds.push(orderId);
        if (THINK_MS > 0) await sleep(THINK_MS);
      }
    }

    const connection = { host: stack.redis.host, port: stack.redis.port, maxRetriesPerRequest: null };
    const queues = [...Object.keys(STORE_SUBSCRIPTIONS).map(consumerQueueName), ...JOB_QUEUES].map((name) => new Queue(name, { connection, prefix: stack?.queuePrefix }));
    const running = Array.from({ length: SHOPPERS }, () => shopper());
    let reported = 0;
    const activeStack = stack;
    const reporter = (async () => {
      while (reported < MINUTES && !stopping) {
        const due = soakStart + (reported + 1) * MINUTE_MS;
        while (performance.now() < due && !stopping) await sleep(Math.min(500, Math.max(0, due - performance.now())));
        if (stopping) break;
        const minute = (minutes[reported] ??= newMinute());
        minute.rss = { ...activeStack.group.rss([activeStack.postgres.processName]), bench: Math.round(process.memoryUsage().rss / 1024) };
        say(minuteLine(reported, minute));
        if (minute.errorKinds.size) say(`  errors: ${[...minute.errorKinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} × ${n}`).join(', ')}`);
        say(`  RSS MB: ${rssLine(minute.rss)}`);
        minute.backlog = await backlogOf(queues);
        say(`  backlog (jobs waiting): ${Object.entries(minute.backlog).map(([queue, n]) => `${queue} ${n}`).join(', ') || 'none'}`);
        reported += 1;
      }
    })();
    await Promise.all(running);
    await reporter;
    await Promise.all(queues.map((queue) => queue.close()));

    // Checkout latency: placeOrder → PAID (the saga's own start and finish), by the minute the order was placed.
    const placed = minutes.flatMap((minute) => minute.orderIds);
    const open = await ledger.settle(placed, 60_000);
    const sagas = await ledger.query<{ order_id: string; state: string; ms: number | null }>(
      'orders',
      `SELECT order_id, state::text AS state, (EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000)::int AS ms FROM order_sagas WHERE order_id = ANY($1::uuid[])`,
      [placed],
    );
    const sagaOf = new Map(sagas.map((saga) => [saga.order_id, saga]));

    say('');
    say(`per minute (${SHOPPERS} shoppers, ${THINK_MS} ms think time; latencies in ms through the router)`);
    const header = ['min', 'req/s', 'p50', 'p99', 'errors', ...MIX.map(([operation]) => `${operation} p50/p99`), 'checkouts paid', 'placeOrder→PAID p50/p99'];
    const rows: string[][] = [header];
    minutes.forEach((minute, index) => {
      const all = [...minute.latencies.values()].flat().sort((a, b) => a - b);
      const errors = [...minute.errors.values()].reduce((sum, n) => sum + n, 0);
      const paid = minute.orderIds.map((id) => sagaOf.get(id)).filter((saga) => saga?.state === 'COMPLETED');
      const toPaid = paid.flatMap((saga) => (saga?.ms != null ? [saga.ms] : [])).sort((a, b) => a - b);
      rows.push([
        String(index + 1),
        (all.length / 60).toFixed(1),
        ms(percentile(all, 50)),
        ms(percentile(all, 99)),
        String(errors),
        ...MIX.map(([operation]) => {
          const sorted = [...(minute.latencies.get(operation) ?? [])].sort((a, b) => a - b);
          return `${ms(percentile(sorted, 50))}/${ms(percentile(sorted, 99))}`;
        }),
        `${paid.length}/${minute.orderIds.length}`,
        `${ms(percentile(toPaid, 50))}/${ms(percentile(toPaid, 99))}`,
      ]);
    });
    printTable(rows);

    say('');
    say('RSS per minute (MB, VmRSS)');
    const names = [...new Set(minutes.flatMap((minute) => Object.keys(minute.rss)))];
    printTable([['min', ...names], ...minutes.map((minute, index) => [String(index + 1), ...names.map((name) => mb(minute.rss[name]))])]);
    const first = minutes[0]?.rss ?? {};
    const last = minutes.at(-1)?.rss ?? {};
    say(`RSS from minute 1 to ${minutes.length}: ${names.map((name) => `${name} ${signed(((last[name] ?? 0) - (first[name] ?? 0)) / 1024)} MB`).join(', ')}`);
    if (open.length) say(`${open.length} checkouts had not finished 60 s after the soak: ${open.slice(0, 5).join(', ')}`);
    say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await ledger?.close();
    await stack?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

async function backlogOf(queues: Queue[]): Promise<Record<string, number>> {
  const counts = await Promise.all(queues.map(async (queue) => [queue.name, await queue.getJobCountByTypes('waiting', 'prioritized')] as const));
  return Object.fromEntries(counts.filter(([, n]) => n > 0));
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${Math.round(value)}`;

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ');
  say(line(rows[0] ?? []));
  for (const row of rows.slice(1)) say(line(row));
}

try {
  await main();
} catch (error) {
  process.stderr.write(`[soak] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
