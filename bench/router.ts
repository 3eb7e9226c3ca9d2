/*
 * npm run bench:router — how fast the router is, against a plain gateway, on the full seeded store.
 *
 *   1. prepares storefront_bench_<subgraph> databases on BENCH_POSTGRES_URL (else POSTGRES_URL, else
 *      postgres://postgres@127.0.0.1:5432/postgres): migrated, seeded with the `full` plan once (marker row);
 *   2. starts the seven subgraphs as processes (NODE_ENV=development: the development token keys);
 *   3. for each contender — (a) plain @apollo/gateway + @apollo/server, (b) this router with every cache off,
 *      (c) this router with its caches on (Redis at REDIS_URL, a fresh key prefix) — starts it, checks that
 *      both queries answer without errors, then per query runs autocannon for a warm-up and a measured run;
 *   4. prints requests/s and p50/p99 latency per contender and query, and the ratios against (a).
 * Rate limits are off in the router (one client address would trip them); cost/depth limits stay on.
 *
 * Flags: --duration <s> (measured, default 15) --warmup <s> (default 5) --connections <n> (default 20)
 *        --only product|history --reseed (seed the bench databases again)
 * Everything runs on this machine, the load generator included: compare contenders within one run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { nameBasedUuid } from '@storefront/api-conventions';
import { listSubgraphs, REPO_ROOT } from '@storefront/config';
import { SEED_PLANS, SeedNamespace, seedOrder, seedProduct } from '@storefront/seed-world';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { createClient } from 'redis';
import { accessTokenFor } from './access-tokens.ts';
import { prepareBenchDatabases } from './databases.ts';
import { ORDER_HISTORY, PRODUCT_PAGE } from '../tests/support/storefront-operations.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    only: { type: 'string' },
    reseed: { type: 'boolean', default: false },
  },
});
const DURATION_S = Number(flags.duration);
const WARMUP_S = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);
const PLAN = SEED_PLANS.full;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 4600);
const SERVER_PORT = PORT_BASE;
const SERVER_URL = `http://127.0.0.1:${SERVER_PORT}/graphql`;
/** What every process of the bench shares: development keys, quiet JSON logs. */
const BASE_ENV = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' } as NodeJS.ProcessEnv;

const say = (message: string) => process.stdout.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------- processes

const children = new Set<ChildProcess>();

function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping.has(child)) process.stderr.write(`[bench] ${name} exited (${signal ?? code}); its last output:\n${tail}\n`);
  });
  return child;
}

const stopping = new Set<ChildProcess>();

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(force);
}

async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopProcess(child)));
}

process.on('SIGINT', () => {
  void stopAll().finally(() => process.exit(130));
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------------------------- workload

/** A fixed pseudo-random sequence, so every contender gets exactly the same requests in the same order. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Scenario {
  name: string;
  /** Request bodies and headers, cycled through in order. */
  requests: Array<{ body: string; headers: Record<string, string> }>;
}

/**
 * Product pages for 2,000 of the 10,000 products, popular ones more often (Zipf, s = 1): a storefront's
 * traffic is skewed, which is what a cache is for, but the long tail still misses.
 */
function productPageScenario(): Scenario {
  const random = lcg(42);
  const catalog = Array.from({ length: 2_000 }, () => seedProduct(Math.floor(random() * PLAN.products), PLAN).id);
  const weights = catalog.map((_, rank) => 1 / (rank + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const pick = () => {
    let target = random() * total;
    for (let i = 0; i < weights.length; i += 1) {
      target -= weights[i] ?? 0;
      if (target <= 0) return catalog[i] ?? '';
    }
    return catalog[catalog.length - 1] ?? '';
  };
  return {
    name: 'product page',
    requests: Array.from({ length: 20_000 }, () => ({
      body: JSON.stringify({ query: PRODUCT_PAGE, variables: { id: pick() }, operationName: 'ProductPage' }),
      headers: { 'content-type': 'application/json' },
    })),
  };
}

/** Order history of 200 customers who have orders, each with a real access token, in random turns. */
async function orderHistoryScenario(): Promise<Scenario> {
  const buyers = new Set<number>();
  for (let i = 0; buyers.size < 200 && i < PLAN.orders; i += 97) buyers.add(seedOrder(i, PLAN).userIndex);
  const tokens = await Promise.all([...buyers].map((index) => accessTokenFor({ id: nameBasedUuid(SeedNamespace.user, index), roles: ['CUSTOMER'] }, BASE_ENV)));
  const random = lcg(7);
  const body = JSON.stringify({ query: ORDER_HISTORY, operationName: 'OrderHistory' });
  return {
    name: 'order history',
    requests: Array.from({ length: 5_000 }, () => ({
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[Math.floor(random() * tokens.length)]}` },
    })),
  };
}

/** One request of each kind through fetch: a contender that answers errors would be measured doing nothing. */
async function checkAnswers(scenario: Scenario, contender: string): Promise<void> {
  for (const request of scenario.requests.slice(0, 3)) {
    const response = await fetch(SERVER_URL, { method: 'POST', headers: request.headers, body: request.body });
    const answer = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    const data = answer.data && Object.values(answer.data)[0];
    if (response.status !== 200 || answer.errors || !data) {
      throw new Error(`${contender} answers the ${scenario.name} wrongly (${response.status}): ${JSON.stringify(answer).slice(0, 500)}`);
    }
  }
}

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

async function load(scenario: Scenario, seconds: number): Promise<Measurement> {
  let next = 0;
  const result = await autocannon({
    url: SERVER_URL,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const chosen = scenario.requests[next++ % scenario.requests.length];
          return { ...request, body: chosen?.body, headers: { ...request.headers, ...chosen?.headers } };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

// ---------------------------------------------------------------------------------------------- contenders

interface Contender {
  key: 'a' | 'b' | 'c';
  name: string;
  start(subgraphUrls: Record<string, string>): Promise<ChildProcess>;
  cleanUp?(): Promise<void>;
}

const subgraphUrlEnv = (urls: Record<string, string>) =>
  Object.fromEntries(Object.entries(urls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url]));

const CACHES_OFF = { CACHE_APQ: 'false', CACHE_QUERY_PLANS: 'false', CACHE_RESPONSES: 'false', CACHE_ENTITIES: 'false' };
const CACHES_ON = { CACHE_APQ: 'true', CACHE_QUERY_PLANS: 'true', CACHE_RESPONSES: 'true', CACHE_ENTITIES: 'true' };
const cachePrefix = `bench:${randomUUID()}:`;

function routerContender(key: 'b' | 'c', name: string, caches: Record<string, string>): Contender {
  return {
    key,
    name,
    async start(subgraphUrls) {
      const child = startProcess(`router (${key})`, path.join(REPO_ROOT, 'router', 'src', 'main.ts'), {
        ...BASE_ENV,
        ...subgraphUrlEnv(subgraphUrls),
        ...caches,
        PORT: String(SERVER_PORT),
        HOST: '127.0.0.1',
        SUPERGRAPH_PATH,
        REDIS_URL,
        CACHE_KEY_PREFIX: cachePrefix,
        CACHE_STATS_LOG_INTERVAL_SECONDS: '0',
        RATE_LIMIT_PER_IP: '0',
        RATE_LIMIT_PER_USER: '0',
      });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${SERVER_PORT}/ready`)).ok, `router (${key})`);
      return child;
    },
  };
}

const CONTENDERS: Contender[] = [
  {
    key: 'a',
    name: 'plain @apollo/gateway',
    async start(subgraphUrls) {
      const child = startProcess('baseline gateway', path.join(REPO_ROOT, 'bench', 'baseline-gateway.ts'), {
        ...BASE_ENV,
        ...subgraphUrlEnv(subgraphUrls),
        PORT: String(SERVER_PORT),
        BENCH_SUPERGRAPH: SUPERGRAPH_PATH,
      });
      await waitFor(
        async () =>
          (await fetch(SERVER_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).ok,
        'baseline gateway',
      );
      return child;
    },
  },
  routerContender('b', 'router, caches off', CACHES_OFF),
  routerContender('c', 'router, caches on', CACHES_ON),
];

async function dropCacheKeys(): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for await (const keys of client.scanIterator({ MATCH: `${cachePrefix}*`, COUNT: 1_000 })) if (keys.length) await client.del(keys);
    await client.close();
  } catch {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------- report

function report(results: Map<string, Map<string, Measurement>>, scenarios: Scenario[]): void {
  const rows: string[][] = [['contender', 'query', 'req/s', 'p50 ms', 'p99 ms', 'failed']];
  for (const contender of CONTENDERS) {
    for (const scenario of scenarios) {
      const m = results.get(contender.key)?.get(scenario.name);
      if (!m) continue;
      rows.push([`(${contender.key}) ${contender.name}`, scenario.name, m.requestsPerSecond.toFixed(0), String(m.p50), String(m.p99), String(m.failures)]);
    }
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((cell, column) => (column >= 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ');
  console.log(`\n${line(rows[0] ?? [])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows.slice(1)) console.log(line(row));

  console.log('\nthroughput against (a), the plain gateway:');
  for (const scenario of scenarios) {
    const base = results.get('a')?.get(scenario.name)?.requestsPerSecond;
    if (!base) continue;
    const ratio = (key: string) => (results.get(key)?.get(scenario.name)?.requestsPerSecond ?? 0) / base;
    const b = ratio('b');
    const c = ratio('c');
    const productPage = scenario.name === 'product page';
    console.log(
      `  ${scenario.name.padEnd(14)} (b)/(a) = ${b.toFixed(2)}× ${b >= 1 ? '(target ≥ 1: met)' : '(target ≥ 1: missed)'}   ` +
        `(c)/(a) = ${c.toFixed(2)}×${productPage ? (c >= 5 ? ' (target ≥ 5: met)' : ' (target ≥ 5: missed)') : ''}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  say(`databases on ${new URL(POSTGRES_URL).host}: storefront_bench_* with the full plan (${PLAN.products} products, ${PLAN.orders} orders)`);
  const databases = await prepareBenchDatabases(POSTGRES_URL, PLAN, { reseed: flags.reseed, say });

  const subgraphUrls: Record<string, string> = {};
  listSubgraphs().forEach((subgraph, i) => {
    const port = PORT_BASE + 1 + i;
    subgraphUrls[subgraph.name] = `http://127.0.0.1:${port}/graphql`;
    startProcess(subgraph.name, path.join(subgraph.dir, 'src', 'main.ts'), {
      ...BASE_ENV,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databases[subgraph.name],
      MIGRATE_ON_START: 'false',
    });
  });
  await Promise.all(Object.entries(subgraphUrls).map(([name, url]) => waitFor(async () => (await fetch(url.replace('/graphql', '/ready'))).ok, name)));
  say('seven subgraphs ready');

  const scenarios = [productPageScenario(), await orderHistoryScenario()].filter(
    (scenario) => !flags.only || scenario.name.startsWith(flags.only === 'history' ? 'order' : 'product'),
  );
  const results = new Map<string, Map<string, Measurement>>();
  for (const contender of CONTENDERS) {
    const child = await contender.start(subgraphUrls);
    try {
      for (const scenario of scenarios) {
        await checkAnswers(scenario, contender.name);
        say(`(${contender.key}) ${contender.name} · ${scenario.name}: ${WARMUP_S} s warm-up, ${DURATION_S} s measured, ${CONNECTIONS} connections`);
        await load(scenario, WARMUP_S);
        const measured = await load(scenario, DURATION_S);
        results.set(contender.key, (results.get(contender.key) ?? new Map<string, Measurement>()).set(scenario.name, measured));
      }
    } finally {
      await stopProcess(child);
    }
  }
  await dropCacheKeys();
  report(results, scenarios);
  say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
