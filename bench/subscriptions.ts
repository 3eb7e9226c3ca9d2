/*
 * npm run bench:subscriptions — subscriptions under load, on this machine's Postgres and Redis, in three processes:
 *
 *   this one    every subgraph on its own database (tests/support/stack), the event generator and the probes;
 *   router      bench/subscriptions-router.ts: the router alone, so its memory and CPU are its own;
 *   clients     bench/subscriptions-clients.ts: BENCH_SUBSCRIBERS (2,000) subscribers, 70 % WebSocket, 15 % SSE,
 *               15 % multipart HTTP, each following `stockChanged` of one of BENCH_PRODUCTS (50) products with
 *               fields from inventory and catalog.
 *
 * Events: real stock adjustments committed to inventory's database (what adjustStock commits: the stock level
 * and its ledger row in one transaction; the trigger announces it as for any writer) at a steady BENCH_RATE (50)
 * per second for BENCH_SECONDS (30), not awaited in batches; at most one in flight per product, so each change can be
 * followed hop by hop: commit → Postgres NOTIFY (a LISTEN probe) → Redis PUBLISH (a subscriber probe) →
 * inventory's stream (a direct subgraph subscription probe) → router → client. Commit time is when the first of
 * the mutation's answer or its NOTIFY was seen (both follow the commit).
 *
 * Runs twice on one stack, router sharing off then on (BENCH_MODES=off,on), and prints both side by side:
 * router RSS per idle subscription, delivery latency p50/p99, router CPU per delivered event. Asserts nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInternalIdentitySigner } from '@storefront/identity';
import { seedProduct, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { DEFAULT_SUBSCRIPTION_SHARING } from '../router/src/subscriptions/sharing-policy.ts';
import { startStack } from '../tests/support/stack.ts';
import type { ClientsConfig, ClientsMessage, Delivery } from './subscriptions-clients.ts';
import type { RouterProcessConfig, RouterProcessMessage, RouterSample } from './subscriptions-router.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 2_000);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
/** Changes sent this early are reported apart too: the first events meet cold connections, JIT and caches. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'off,on').split(',').map((mode) => mode.trim() === 'on');
const PLAN: SeedPlan = { users: 10, categories: 3, products: Math.max(PRODUCTS, 60), warehouses: 1, orders: 10, wishlistItemsPerUser: 1 };
const QUERY = 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id name stock { available } } }';
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

process.env.QUEUE_PREFIX = `bench-subs-${randomUUID().slice(0, 8)}`;
// Production's defaults for joining identical fetches (ROUTER_DEDUPLICATE_*), which the test stack leaves off.
const stack = await startStack(PLAN, { router: { deduplication: { operations: true, subgraphFetches: true } } });
// The stack's own router is not measured: one in a process of its own is, per mode.
await stack.router.close();
const productIds = Array.from({ length: PRODUCTS }, (_, index) => seedProduct(index, PLAN).id);
const productIndex = new Map(productIds.map((id, index) => [id, index]));
if (!stack.routerConfig.auth) throw new Error('the stack signs its subgraph calls: its router has an auth config');
const { identityKey, ...auth } = stack.routerConfig.auth;
const signer = createInternalIdentitySigner({ privateKey: identityKey });
const inventoryUrl = stack.subgraphs.inventory?.url;
if (!inventoryUrl) throw new Error('the stack has no inventory subgraph');

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
const p50p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))} (${sorted.length})`;
};

function child<Message>(file: string): { process: ChildProcess; next: (kind: string) => Promise<Message> } {
  const proc = fork(path.join(import.meta.dirname, file), [], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: Array<{ kind: string; resolve: (message: Message) => void }> = [];
  proc.on('message', (message: Message & { kind: string }) => {
    const at = waiting.findIndex((entry) => entry.kind === message.kind);
    if (at >= 0) waiting.splice(at, 1)[0]?.resolve(message);
  });
  return { process: proc, next: (kind) => new Promise((resolve) => waiting.push({ kind, resolve })) };
}

/** One stock adjustment followed through each hop (epoch ms; undefined until seen). */
interface Change {
  product: number;
  sent: number;
  answered?: number;
  available?: number;
  notified?: number;
  published?: number;
  streamed?: number;
}

/** The probes: LISTEN on inventory's database, a Redis subscriber, and a subscription straight to inventory. */
async function startProbes(changes: { lastOf: Map<number, Change>; byAvailable: Map<string, Change> }) {
  const listener = new pg.Client({ connectionString: stack.databaseUrls.inventory });
  await listener.connect();
  listener.on('notification', (message) => {
    const productId = (JSON.parse(message.payload ?? '{}') as { productId?: string }).productId;
    const change = productId === undefined ? undefined : changes.lastOf.get(productIndex.get(productId) ?? -1);
    if (change && change.notified === undefined) change.notified = now();
  });
  await listener.query('LISTEN stock_changes');
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  redis.on('pmessage', (_pattern: string, _channel: string, payload: string) => {
    const productId = (JSON.parse(payload) as { productId?: string }).productId;
    const change = productId === undefined ? undefined : changes.lastOf.get(productIndex.get(productId) ?? -1);
    if (change && change.published === undefined) change.published = now();
  });
  await redis.psubscribe(`${process.env.QUEUE_PREFIX}:inventory:stock:*`);
  const direct = createClient({
    url: (inventoryUrl as string).replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: () => ({ authorization: `Bearer ${signer.sign('inventory', null)}` }),
  });
  direct.subscribe(
    { query: 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id stock { available } } }', variables: { ids: productIds } },
    {
      next: (result) => {
        const changed = (result.data as { stockChanged?: { id: string; stock: { available: number } } } | undefined)?.stockChanged;
        const change = changed && changes.byAvailable.get(`${changed.id}:${changed.stock.available}`);
        if (change && change.streamed === undefined) change.streamed = now();
      },
      error: (error) => console.error('the inventory probe failed', error),
      complete: () => undefined,
    },
  );
  // Where the commits wait: the inventory database's backends' wait events, sampled every 50 ms.
  const waits = new Map<string, number>();
  const sampler = new pg.Client({ connectionString: stack.databaseUrls.inventory });
  await sampler.connect();
  let sampling = true;
  const sampled = (async () => {
    while (sampling) {
      const { rows } = await sampler.query<{ wait: string; count: string }>(
        "SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') AS wait, count(*) AS count FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1",
      );
      for (const { wait, count } of rows) waits.set(wait, (waits.get(wait) ?? 0) + Number(count));
      await sleep(50);
    }
  })();
  return {
    waits,
    close: async () => {
      sampling = false;
      await sampled;
      await sampler.end();
      await direct.dispose();
      redis.disconnect();
      await listener.end();
    },
  };
}

/**
 * Adjusts stock at RATE per second for SECONDS: each adjustment is what inventory's adjustStock commits (the
 * stock level and its ledger row in one transaction), run straight on inventory's database from a small pool,
 * so the generator costs the machine a few SQL statements rather than a GraphQL request and Prisma's work.
 */
async function generate(changes: { lastOf: Map<number, Change>; byAvailable: Map<string, Change>; all: Change[] }): Promise<{ sent: number; skipped: number; failed: number; mutation: number[] }> {
  const pool = new pg.Pool({ connectionString: stack.databaseUrls.inventory, max: 4 });
  const warehouseId = seedWarehouse(0).id;
  const mutation: number[] = [];
  let sent = 0;
  let skipped = 0;
  let failed = 0;
  const inFlight = new Set<number>();
  const adjust = async (product: number) => {
    const change: Change = { product, sent: now() };
    changes.lastOf.set(product, change);
    changes.all.push(change);
    inFlight.add(product);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ available: number }>(
        'UPDATE stock_levels SET on_hand = on_hand + 1, available = available + 1, updated_at = now() WHERE product_id = $1 AND warehouse_id = $2 RETURNING available',
        [productIds[product], warehouseId],
      );
      await client.query('INSERT INTO stock_adjustments (id, idempotency_key, request_fingerprint, product_id, warehouse_id, delta, reason) VALUES ($1, $2, $3, $4, $5, 1, $6)', [
        randomUUID(),
        randomUUID(),
        'bench',
        productIds[product],
        warehouseId,
        'bench',
      ]);
      await client.query('COMMIT');
      change.answered = now();
      mutation.push(change.answered - change.sent);
      const available = rows[0]?.available;
      if (available === undefined) failed += 1;
      else {
        change.available = available;
        changes.byAvailable.set(`${productIds[product]}:${available}`, change);
      }
    } catch {
      failed += 1;
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      client.release();
      inFlight.delete(product);
    }
  };
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  while (performance.now() - started < SECONDS * 1_000) {
    const due = Math.floor(((performance.now() - started) / 1_000) * RATE);
    while (sent + skipped < due) {
      const product = (sent + skipped) % PRODUCTS;
      // One change per product in flight: each change is then told apart at every hop.
      if (inFlight.has(product)) skipped += 1;
      else {
        pending.push(adjust(product));
        sent += 1;
      }
    }
    await sleep(5);
  }
  await Promise.all(pending);
  await pool.end();
  return { sent, skipped, failed, mutation };
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
}
const openSubscriptions = (url: string) => metricSum(url, 'router_subscriptions_open');

interface ModeResult {
  sharing: boolean;
  idleKb: number;
  idleHeapKb: number;
  delivered: number;
  expected: number;
  commitToClient: number[];
  /** commitToClient without the changes sent in the first WARMUP_SECONDS (connections, JIT and caches warming). */
  commitToClientSteady: number[];
  /** p50/p99 of commitToClient per 5-second window of the run, by when the change was sent. */
  commitToClientWindows: string[];
  sentToClient: number[];
  hops: Record<string, number[]>;
  mutation: number[];
  routerCpuPerEvent: number;
  /** This process (every subgraph, the generator, the probes) per adjustment. */
  stackCpuPerAdjustment: number;
  clientsFailed: number;
  generated: { sent: number; skipped: number; failed: number };
  load: string;
  /** The most frequent wait events of inventory's active backends while the generator ran (samples). */
  waits: string;
  upstreams: number;
}

async function runMode(sharing: boolean): Promise<ModeResult> {
  const routerProcess = child<RouterProcessMessage>('subscriptions-router.ts');
  const config: RouterProcessConfig = {
    ...stack.routerConfig,
    auth: { ...auth, identityKeyPem: identityKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    subscriptions: { connectionsPerAddress: SUBSCRIBERS + 100, connectionsPerUser: SUBSCRIBERS + 100, sharing: { ...DEFAULT_SUBSCRIPTION_SHARING, enabled: sharing } },
  };
  routerProcess.process.send(config);
  const { url } = (await routerProcess.next('started')) as { url: string };
  const sample = async () => {
    routerProcess.process.send('sample');
    return ((await routerProcess.next('sample')) as { sample: RouterSample }).sample;
  };
  await sleep(1_000);
  const before = await sample();
  const clients = child<ClientsMessage>('subscriptions-clients.ts');
  clients.process.send({ url, query: QUERY, subscribers: SUBSCRIBERS, productIds } satisfies ClientsConfig);
  await clients.next('subscribed');
  for (let waited = 0; (await openSubscriptions(url)) < SUBSCRIBERS && waited < 60_000; waited += 250) await sleep(250);
  // Let every subscription reach its subgraph.
  await sleep(3_000);
  const idle = await sample();
  const upstreams = await metricSum(url, 'router_subscription_upstreams_open');

  const changes = { lastOf: new Map<number, Change>(), byAvailable: new Map<string, Change>(), all: [] as Change[] };
  const probes = await startProbes(changes);
  const stackCpu = process.cpuUsage();
  const generated = await generate(changes);
  await sleep(2_000);
  const after = await sample();
  const stackCpuUsed = process.cpuUsage(stackCpu);
  const load = (await import('node:os')).loadavg().map((value) => value.toFixed(2)).join(' ');
  clients.process.send('collect');
  const collected = (await clients.next('collected')) as { deliveries: Delivery[]; failures: number };
  clients.process.send('close');
  await clients.next('closed');
  await probes.close();
  const waits = [...probes.waits].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([wait, count]) => `${wait} ${count}`).join(', ');
  routerProcess.process.send('close');
  await routerProcess.next('closed');

  const commitToClient: number[] = [];
  const commitToClientSteady: number[] = [];
  const windows = new Map<number, number[]>();
  const firstSent = Math.min(...changes.all.map((change) => change.sent));
  const sentToClient: number[] = [];
  const hops: Record<string, number[]> = { 'commit → NOTIFY heard': [], 'NOTIFY → Redis PUBLISH heard': [], 'Redis → inventory stream out': [], 'inventory stream → client': [] };
  for (const [product, available, at] of collected.deliveries) {
    const change = changes.byAvailable.get(`${productIds[product]}:${available}`);
    if (!change?.answered) continue;
    const committed = Math.min(change.answered, change.notified ?? Infinity);
    const latency = Math.max(0, at - committed);
    commitToClient.push(latency);
    const sinceStart = (change.sent - firstSent) / 1_000;
    if (sinceStart >= WARMUP_SECONDS) commitToClientSteady.push(latency);
    const window = Math.floor(sinceStart / 5) * 5;
    windows.set(window, [...(windows.get(window) ?? []), latency]);
    sentToClient.push(at - change.sent);
    if (change.streamed !== undefined) hops['inventory stream → client']?.push(at - change.streamed);
  }
  for (const change of changes.all) {
    if (change.answered === undefined || change.notified === undefined) continue;
    hops['commit → NOTIFY heard']?.push(change.notified - Math.min(change.answered, change.notified));
    if (change.published !== undefined) hops['NOTIFY → Redis PUBLISH heard']?.push(change.published - change.notified);
    if (change.published !== undefined && change.streamed !== undefined) hops['Redis → inventory stream out']?.push(change.streamed - change.published);
  }
  const delivered = collected.deliveries.length;
  return {
    sharing,
    idleKb: (idle.rss - before.rss) / SUBSCRIBERS / 1024,
    idleHeapKb: (idle.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024,
    delivered,
    expected: (generated.sent - generated.failed) * (SUBSCRIBERS / PRODUCTS),
    commitToClient,
    commitToClientSteady,
    commitToClientWindows: [...windows.entries()].sort(([a], [b]) => a - b).map(([start, latencies]) => `${start}-${start + 5} s: ${p50p99(latencies)}`),
    sentToClient,
    hops,
    mutation: generated.mutation,
    routerCpuPerEvent: (after.cpuMicros - idle.cpuMicros) / 1_000 / Math.max(1, delivered),
    stackCpuPerAdjustment: (stackCpuUsed.user + stackCpuUsed.system) / 1_000 / Math.max(1, generated.sent),
    clientsFailed: collected.failures,
    generated,
    load,
    waits,
    upstreams,
  };
}

const results: ModeResult[] = [];
for (const sharing of MODES) results.push(await runMode(sharing));
console.log(`\n${SUBSCRIBERS} subscribers (70 % WebSocket, 15 % SSE, 15 % multipart) on ${PRODUCTS} products, ${RATE} stock adjustments/s asked for ${SECONDS} s`);
for (const result of results) {
  const label = result.sharing ? 'sharing on ' : 'sharing off';
  console.log(`\n[${label}] load average at the end: ${result.load}`);
  console.log(`  adjustments: ${result.generated.sent} sent (${(result.generated.sent / SECONDS).toFixed(1)}/s), ${result.generated.skipped} skipped (previous one of the product still in flight), ${result.generated.failed} failed; transaction BEGIN → COMMIT answered ${p50p99(result.mutation)}`);
  console.log(`  inventory database, active backends sampled every 50 ms: ${result.waits || 'none seen'}`);
  console.log(`  events delivered: ${result.delivered} of ${result.expected.toFixed(0)} expected; ${result.clientsFailed} client subscriptions failed`);
  console.log(`  router RSS per idle subscription: +${result.idleKb.toFixed(1)} kB (heap +${result.idleHeapKb.toFixed(1)} kB)`);
  console.log(`  delivery latency commit → client: ${p50p99(result.commitToClient)}; adjustment sent → client: ${p50p99(result.sentToClient)}`);
  console.log(`    after a ${WARMUP_SECONDS} s warm-up: ${p50p99(result.commitToClientSteady)}; per 5 s window: ${result.commitToClientWindows.join('; ')}`);
  for (const [hop, values] of Object.entries(result.hops)) console.log(`    ${hop}: ${p50p99(values)}`);
  console.log(`  router CPU: ${result.routerCpuPerEvent.toFixed(3)} ms per delivered event; subgraphs + generator + probes: ${result.stackCpuPerAdjustment.toFixed(2)} ms per adjustment`);
  console.log(`  router subgraph streams while idle: ${result.upstreams}`);
}
await stack.close();
process.exit(0);
