/*
 * npm run bench:capacity — what each process of the store costs per storefront request, for docs/capacity.md.
 *
 *   1. starts the store as the soak does (the fault suite's stack: every subgraph, the workers and the router as
 *      processes, on a Postgres and a Redis of its own, demo plan), the router with its production caches on;
 *   2. runs virtual shoppers without think time through the soak's mix (product pages, searches, order
 *      histories, sign-ins, checkouts) for a warm-up, then for the measured window;
 *   3. reads every process's CPU time from /proc (utime + stime; Postgres with its backends) before and after
 *      the window, and prints per process the CPU-seconds used, the storefront requests served per CPU-second
 *      of that process (its requests/s per core) and its share of all CPU; for the workers, outbox events
 *      published per worker CPU-second; with `uptime`'s load before and after.
 * Every process shares this machine's cores with the others and with the load generator, so the wall-clock
 * rate says little; CPU per request, measured side by side in one window, is what the model scales.
 *
 * Before the window, an idle one (--idle, no traffic) measures what each process costs doing nothing; the last
 * column subtracts it, which is what traffic adds and what replicas multiply.
 *
 * Flags: --seconds <n> (measured, default 45) --warmup <s> (default 10) --shoppers <n> (default 12)
 *        --idle <s> (default 15)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SEED_DEMO_PASSWORD, SEED_PLANS, seedProduct, seedUser } from '@storefront/seed-world';
import { startFaultStack, type FaultStack } from '../tests/faults/support/fault-stack.ts';
import { Ledger } from '../tests/faults/support/ledger.ts';
import { attemptCheckout, newCheckout, StoreClient, type Answer } from '../tests/faults/support/store.ts';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '45' },
    warmup: { type: 'string', default: '10' },
    shoppers: { type: 'string', default: '12' },
    idle: { type: 'string', default: '15' },
  },
});
const SECONDS = Number(flags.seconds);
const WARMUP_S = Number(flags.warmup);
const SHOPPERS = Number(flags.shoppers);
const IDLE_S = Number(flags.idle);
const PLAN = SEED_PLANS.demo;
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const say = (message: string) => process.stdout.write(`[capacity] ${message}\n`);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

type Operation = 'product page' | 'search' | 'order history' | 'sign-in' | 'checkout';
/** bench/soak.ts's mix: mostly browsing, a few sign-ins and checkouts. */
const MIX: Array<[Operation, number]> = [
  ['product page', 50],
  ['search', 25],
  ['order history', 10],
  ['sign-in', 5],
  ['checkout', 10],
];
const SEARCH_WORDS = ['steel', 'plastic', 'wooden', 'cotton', 'granite', 'fresh', 'soft', null];

// ---------------------------------------------------------------------------------------------- CPU time

interface ProcStat {
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: children that exited and were waited for. */
  reaped: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is the command in parentheses (it may hold spaces): the rest follows the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const at = (field: number) => Number(fields[field - 3]);
    return { ppid: at(4), own: at(14) + at(15), reaped: at(16) + at(17) };
  } catch {
    return undefined;
  }
}

/** CPU ticks of a process, and with `descendants` of everything below it too (Postgres' backends). */
function cpuTicks(pid: number, descendants: boolean): number {
  const root = procStat(pid);
  if (!root) return 0;
  if (!descendants) return root.own;
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) parentOf.set(Number(entry), stat.ppid);
  }
  let ticks = root.own + root.reaped;
  const frontier = [pid];
  while (frontier.length) {
    const parent = frontier.pop();
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      ticks += procStat(child)?.own ?? 0;
      frontier.push(child);
    }
  }
  return ticks;
}

function snapshot(stack: FaultStack, names: string[]): Record<string, number> {
  return Object.fromEntries(
    names.map((name) => {
      const pid = stack.process(name).pid;
      return [name, pid ? cpuTicks(pid, name === stack.postgres.processName) : 0];
    }),
  );
}

// ---------------------------------------------------------------------------------------------- traffic

function pickOperation(random: number): Operation {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let target = random * total;
  for (const [operation, weight] of MIX) {
    target -= weight;
    if (target <= 0) return operation;
  }
  return 'product page';
}

interface Tally {
  requests: Map<Operation, number>;
  errors: number;
  checkouts: number;
}

async function main(): Promise<void> {
  let stack: FaultStack | undefined;
  let ledger: Ledger | undefined;
  try {
    say(`load before start: ${load()}`);
    stack = await startFaultStack({
      label: 'capacity',
      plan: PLAN,
      say,
      env: {
        router: { RATE_LIMIT_PER_IP: '100000000', RATE_LIMIT_PER_USER: '100000000' },
        // At info the workers log their ops URL ('workers ready'), where their per-queue job times are read.
        workers: { PAYMENTS_MAGIC_AMOUNTS: 'false', LOG_LEVEL: 'info' },
      },
    });
    ledger = new Ledger(stack);
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

    let seed = 7;
    const random = () => {
      // mulberry32: the same sequence every run
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

    let tally: Tally = { requests: new Map(), errors: 0, checkouts: 0 };
    let until = 0;
    const shopper = async () => {
      while (performance.now() < until) {
        const operation = pickOperation(random());
        const user = pick(users);
        let answer: Answer;
        switch (operation) {
          case 'product page':
            answer = await store.productPage(pick(productIds));
            break;
          case 'search':
            answer = await store.search(pick(SEARCH_WORDS));
            break;
          case 'order history':
            answer = await store.orderHistory(tokens.get(user) ?? '');
            break;
          case 'sign-in':
            answer = await store.logIn(seedUser(user, PLAN).email, SEED_DEMO_PASSWORD);
            break;
          case 'checkout': {
            const checkout = newCheckout(user, [{ purchasableId: pick(buyable), quantity: 1 }]);
            answer = await attemptCheckout(store, tokens.get(user) ?? '', checkout);
            if (checkout.orderId) tally.checkouts += 1;
            break;
          }
        }
        tally.requests.set(operation, (tally.requests.get(operation) ?? 0) + 1);
        if (answer.failure || answer.errors.length || answer.status !== 200) tally.errors += 1;
      }
    };
    const run = async (seconds: number) => {
      until = performance.now() + seconds * 1000;
      await Promise.all(Array.from({ length: SHOPPERS }, () => shopper()));
    };

    say(`warm-up ${WARMUP_S} s, ${SHOPPERS} shoppers without think time`);
    await run(WARMUP_S);
    // Let the warm-up's checkouts finish, so the window's worker CPU is the window's events.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const names = ['router', ...stack.subgraphs, 'workers', stack.postgres.processName, stack.redis.processName];
    const books = ledger;
    const published = async () => {
      let total = 0;
      for (const service of Object.keys(stack?.databases ?? {})) {
        const rows = await books.query<{ n: string }>(service, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'outbox_events'`);
        if (Number(rows[0]?.n) === 0) continue;
        const [row] = await books.query<{ n: string }>(service, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NOT NULL');
        total += Number(row?.n ?? 0);
      }
      return total;
    };
    // What each process costs with no traffic (relays polling, BullMQ's lock and stalled-job checks, readiness
    // probes), so the per-request figures below are what traffic adds.
    const idleBefore = snapshot(stack, names);
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const idleAfter = snapshot(stack, names);
    const idleWall = (performance.now() - idleStarted) / 1000;
    const idlePerSecond = Object.fromEntries(names.map((name) => [name, ((idleAfter[name] ?? 0) - (idleBefore[name] ?? 0)) / TICKS_PER_SECOND / idleWall]));

    // Which database does the work: transactions and rows touched per database, from Postgres' own counters.
    const postgres = new pg.Client({ connectionString: stack.postgres.url });
    await postgres.connect();
    const databaseWork = async () =>
      new Map(
        (
          await postgres.query<{ datname: string; xacts: string; tuples: string }>(
            `SELECT datname, xact_commit + xact_rollback AS xacts, tup_returned + tup_fetched + tup_inserted + tup_updated + tup_deleted AS tuples
               FROM pg_stat_database WHERE datname LIKE 'storefront_%'`,
          )
        ).rows.map((row) => [row.datname, { xacts: Number(row.xacts), tuples: Number(row.tuples) }]),
      );

    // What Redis spends its one thread on: microseconds per command, from INFO commandstats.
    const redis = new Redis({ host: stack.redis.host, port: stack.redis.port, lazyConnect: true });
    await redis.connect();
    const redisWork = async () =>
      new Map(
        [...(await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)].map((match) => [match[1] ?? '', { calls: Number(match[2]), usec: Number(match[3]) }]),
      );
    // Time spent per queue by the workers (BullMQ job durations, wall time), from their /metrics.
    const workersUrl = /"url":"([^"]+)"[^\n]*workers ready/.exec(readFileSync(stack.process('workers').logFile, 'utf8'))?.[1];
    const jobSeconds = async () => {
      if (!workersUrl) return new Map<string, number>();
      const text = await (await fetch(`${workersUrl.replace('localhost', '127.0.0.1')}/metrics`)).text();
      const perQueue = new Map<string, number>();
      for (const match of text.matchAll(/^bullmq_job_duration_seconds_sum\{([^}]*)\} (\S+)$/gm)) {
        const queue = /queue="([^"]+)"/.exec(match[1] ?? '')?.[1] ?? '?';
        perQueue.set(queue, (perQueue.get(queue) ?? 0) + Number(match[2]));
      }
      return perQueue;
    };

    const loadBefore = load();
    const redisBefore = await redisWork();
    const jobsBefore = await jobSeconds();
    const workBefore = await databaseWork();
    const eventsBefore = await published();
    const before = snapshot(stack, names);
    const started = performance.now();
    tally = { requests: new Map(), errors: 0, checkouts: 0 };
    await run(SECONDS);
    // The window's checkouts settle (their events are part of its cost) before the second reading.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const after = snapshot(stack, names);
    const wall = (performance.now() - started) / 1000;
    const trafficWall = SECONDS;
    const events = (await published()) - eventsBefore;
    // pg_stat_database is updated when a backend reports, at most every 500 ms and at transaction end.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const workAfter = await databaseWork();
    const redisAfter = await redisWork();
    const jobsAfter = await jobSeconds();
    await postgres.end();
    redis.disconnect();
    const loadAfter = load();

    const requests = [...tally.requests.values()].reduce((sum, n) => sum + n, 0);
    const cpu = Object.fromEntries(names.map((name) => [name, ((after[name] ?? 0) - (before[name] ?? 0)) / TICKS_PER_SECOND]));
    const totalCpu = Object.values(cpu).reduce((sum, seconds) => sum + seconds, 0);
    say(`load before the window: ${loadBefore}`);
    say(`load after the window:  ${loadAfter}`);
    say(`traffic ${trafficWall} s, then 10 s to settle: ${requests} requests (${(requests / trafficWall).toFixed(1)}/s wall), ${tally.errors} errors, ${tally.checkouts} checkouts placed, ${events} outbox events published`);
    say(`mix: ${[...tally.requests].map(([operation, n]) => `${operation} ${n}`).join(', ')}`);
    process.stdout.write(
      `\n| process | idle CPU (cores) | CPU-s in the window | share | requests per CPU-second | requests per CPU-second above idle |\n| --- | --- | --- | --- | --- | --- |\n`,
    );
    for (const name of names) {
      const seconds = cpu[name] ?? 0;
      const added = seconds - (idlePerSecond[name] ?? 0) * wall;
      process.stdout.write(
        `| ${name} | ${(idlePerSecond[name] ?? 0).toFixed(3)} | ${seconds.toFixed(1)} | ${((100 * seconds) / totalCpu).toFixed(1)} % | ${seconds > 0 ? (requests / seconds).toFixed(0) : '—'} | ${added > 0 ? (requests / added).toFixed(0) : '—'} |\n`,
      );
    }
    const workerCpu = (cpu.workers ?? 0) - (idlePerSecond.workers ?? 0) * wall;
    const work = [...workAfter].map(([name, after]) => ({ name, xacts: after.xacts - (workBefore.get(name)?.xacts ?? 0), tuples: after.tuples - (workBefore.get(name)?.tuples ?? 0) }));
    const allTuples = work.reduce((sum, entry) => sum + entry.tuples, 0);
    process.stdout.write('\n| database | transactions per request | rows touched per request | share of rows |\n| --- | --- | --- | --- |\n');
    for (const entry of work.sort((a, b) => b.tuples - a.tuples)) {
      process.stdout.write(`| ${entry.name} | ${(entry.xacts / requests).toFixed(1)} | ${(entry.tuples / requests).toFixed(0)} | ${((100 * entry.tuples) / allTuples).toFixed(1)} % |\n`);
    }
    const commands = [...redisAfter]
      .map(([name, after]) => ({ name, calls: after.calls - (redisBefore.get(name)?.calls ?? 0), usec: after.usec - (redisBefore.get(name)?.usec ?? 0) }))
      .filter((entry) => entry.calls > 0)
      .sort((a, b) => b.usec - a.usec);
    const allUsec = commands.reduce((sum, entry) => sum + entry.usec, 0);
    process.stdout.write(`\nRedis: ${(allUsec / requests).toFixed(0)} µs of command time per request (INFO commandstats; the rest of its CPU is I/O)\n| command | calls per request | µs per request | share |\n| --- | --- | --- | --- |\n`);
    for (const entry of commands.slice(0, 10)) {
      process.stdout.write(`| ${entry.name} | ${(entry.calls / requests).toFixed(2)} | ${(entry.usec / requests).toFixed(0)} | ${((100 * entry.usec) / allUsec).toFixed(1)} % |\n`);
    }
    const queues = [...jobsAfter].map(([queue, after]) => ({ queue, seconds: after - (jobsBefore.get(queue) ?? 0) })).filter((entry) => entry.seconds > 0).sort((a, b) => b.seconds - a.seconds);
    const allJobSeconds = queues.reduce((sum, entry) => sum + entry.seconds, 0);
    process.stdout.write(`\nworker job time by queue (wall time in jobs, ${allJobSeconds.toFixed(1)} s in all${workersUrl ? '' : '; workers URL not found in their log'})\n| queue | job seconds | share |\n| --- | --- | --- |\n`);
    for (const entry of queues) process.stdout.write(`| ${entry.queue} | ${entry.seconds.toFixed(2)} | ${((100 * entry.seconds) / allJobSeconds).toFixed(1)} % |\n`);
    process.stdout.write(`\nworkers: ${events} events in ${workerCpu.toFixed(1)} CPU-s above idle = ${workerCpu > 0 ? (events / workerCpu).toFixed(0) : '—'} events per worker CPU-second; ${tally.checkouts} checkouts = ${tally.checkouts > 0 ? (events / tally.checkouts).toFixed(1) : '—'} events per checkout (all services)\n`);
  } finally {
    await ledger?.close();
    await stack?.close();
  }
}

await main();
