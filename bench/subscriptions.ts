/*
 * npm run bench:subscriptions — subscriptions under load, on this machine's Postgres and Redis:
 *   BENCH_SUBSCRIBERS (2,000) subscribers on one router, mixed transports (70 % WebSocket, 15 % SSE, 15 %
 *   multipart HTTP), each following `stockChanged` of one of BENCH_PRODUCTS (50) products with fields from
 *   inventory and catalog; stock adjustments committed through the router at BENCH_RATE (50) per second for
 *   BENCH_SECONDS (30). Prints the delivery latency from the adjustment's commit (its mutation sent: an upper
 *   bound) to each client at p50/p99, events delivered, memory per idle subscription and CPU per delivered event.
 * The stack (every subgraph, the router) and the clients share this one process, as tests/support/stack runs
 * it: memory and CPU are the whole process's, an upper bound for the router's share. Prints figures, asserts
 * nothing.
 */
import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles } from '@storefront/identity';
import { SeedNamespace, seedProduct, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startStack } from '../tests/support/stack.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 2_000);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PLAN: SeedPlan = { users: 10, categories: 3, products: Math.max(PRODUCTS, 60), warehouses: 1, orders: 10, wishlistItemsPerUser: 1 };
const QUERY = 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id name stock { available } } }';
const admin = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);

process.env.QUEUE_PREFIX = `bench-subs-${randomUUID().slice(0, 8)}`;
// Production's defaults for joining identical fetches (ROUTER_DEDUPLICATE_*), which the test stack leaves off.
const stack = await startStack(PLAN, {
  router: {
    subscriptions: { connectionsPerAddress: SUBSCRIBERS + 100, connectionsPerUser: SUBSCRIBERS + 100 },
    deduplication: { operations: true, subgraphFetches: true },
  },
});
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const productIds = Array.from({ length: PRODUCTS }, (_, index) => seedProduct(index, PLAN).id);
/** When the latest adjustment of each product was sent, and when its mutation answered (it had committed by then). */
const sentAt = new Map<string, number>();
const answeredAt = new Map<string, number>();
const latencies: number[] = [];
/** From the mutation's answer: what the router and the feed add after the commit (0 when the event came first). */
const afterAnswer: number[] = [];
const mutationTimes: number[] = [];
let delivered = 0;
const onEvent = (productId: string | undefined) => {
  const sent = productId ? sentAt.get(productId) : undefined;
  const answered = productId ? answeredAt.get(productId) : undefined;
  delivered += 1;
  const now = performance.now();
  if (sent !== undefined) latencies.push(now - sent);
  if (answered !== undefined && sent !== undefined && answered >= sent) afterAnswer.push(Math.max(0, now - answered));
};
const idOf = (payload: unknown) => (payload as { data?: { stockChanged?: { id?: string } } } | undefined)?.data?.stockChanged?.id;

const wsClients: Client[] = [];
const aborts: AbortController[] = [];

function subscribeWs(ids: string[]): void {
  const client = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  wsClients.push(client);
  client.subscribe({ query: QUERY, variables: { ids } }, { next: (result) => onEvent(idOf(result)), error: () => undefined, complete: () => undefined });
}

async function subscribeHttp(kind: 'sse' | 'multipart', ids: string[]): Promise<void> {
  const abort = new AbortController();
  aborts.push(abort);
  const response = await fetch(stack.routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: kind === 'sse' ? 'text/event-stream' : 'multipart/mixed;subscriptionSpec=1.0' },
    body: JSON.stringify({ query: QUERY, variables: { ids } }),
    signal: abort.signal,
  });
  const decoder = new TextDecoder();
  void (async () => {
    let text = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        const separator = kind === 'sse' ? '\n\n' : '\r\n--graphql';
        let at: number;
        while ((at = text.indexOf(separator)) >= 0) {
          const part = text.slice(0, at);
          text = text.slice(at + separator.length);
          const json = kind === 'sse' ? /^data: (.+)$/m.exec(part)?.[1] : part.split('\r\n\r\n')[1];
          if (!json || json === '{}') continue;
          const parsed = JSON.parse(json) as { payload?: unknown };
          const id = idOf(kind === 'sse' ? parsed : parsed.payload);
          if (id) onEvent(id);
        }
      }
    } catch {
      // Aborted at the end.
    }
  })();
}

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
for (let index = 0; index < SUBSCRIBERS; index += 1) {
  const ids = [productIds[index % PRODUCTS] as string];
  const kind = index % 20 < 14 ? 'ws' : index % 20 < 17 ? 'sse' : 'multipart';
  if (kind === 'ws') subscribeWs(ids);
  else await subscribeHttp(kind, ids);
  if (index % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 50));
}
// Let every subscription reach its subgraph.
await new Promise((resolve) => setTimeout(resolve, 5_000));
gc?.();
const idle = process.memoryUsage();
console.log(`${SUBSCRIBERS} idle subscriptions: +${((idle.rss - before.rss) / SUBSCRIBERS / 1024).toFixed(1)} kB RSS and +${((idle.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024).toFixed(1)} kB heap each (whole process: router, inventory, clients)${gc ? '' : ' (run with --expose-gc for steadier figures)'}`);

let failed = 0;
const adjust = async (productId: string) => {
  const sent = performance.now();
  sentAt.set(productId, sent);
  await stack
    .query(
      'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { errors { code } } }',
      { input: { productId, warehouseId: seedWarehouse(0).id, delta: 1, reason: 'bench', idempotencyKey: randomUUID() } },
      admin,
    )
    .then(() => {
      const answered = performance.now();
      mutationTimes.push(answered - sent);
      if (sentAt.get(productId) === sent) answeredAt.set(productId, answered);
    })
    .catch(() => {
      failed += 1;
    });
};
const cpuBefore = process.cpuUsage();
const started = performance.now();
let sent = 0;
while (performance.now() - started < SECONDS * 1_000) {
  const due = Math.floor(((performance.now() - started) / 1_000) * RATE);
  const batch: Array<Promise<void>> = [];
  while (sent < due) {
    batch.push(adjust(productIds[sent % PRODUCTS] as string));
    sent += 1;
  }
  await Promise.all(batch);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
const cpu = process.cpuUsage(cpuBefore);
for (const list of [latencies, afterAnswer, mutationTimes]) list.sort((a, b) => a - b);
const expected = (sent * SUBSCRIBERS) / PRODUCTS;
console.log(`${sent} adjustments in ${SECONDS} s (${(sent / SECONDS).toFixed(1)}/s, ${failed} failed); ${delivered} events delivered of ${expected.toFixed(0)} expected`);
console.log(`delivery latency, adjustment sent → client: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
console.log(`  of which the adjustment's mutation (sent → answered): p50 ${percentile(mutationTimes, 50).toFixed(1)} ms, p99 ${percentile(mutationTimes, 99).toFixed(1)} ms`);
console.log(`delivery latency, mutation answered (committed) → client: p50 ${percentile(afterAnswer, 50).toFixed(1)} ms, p99 ${percentile(afterAnswer, 99).toFixed(1)} ms`);
console.log(`CPU: ${((cpu.user + cpu.system) / 1_000 / Math.max(1, delivered)).toFixed(3)} ms per delivered event (whole process)`);

for (const abort of aborts) abort.abort();
await Promise.all(wsClients.map((client) => client.dispose()));
await stack.close();
process.exit(0);
