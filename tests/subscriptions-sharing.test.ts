import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedProduct, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { createLogger } from '@storefront/telemetry';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { startRouter, type RouterConfig, type RunningRouter } from '@storefront/router';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { startStack, type TestStack } from './support/stack.ts';

/*
 * What the router shares between client subscriptions, and what it does not let one client cost the others:
 * subscribers of one stream share one subgraph stream and one run of the rest of the plan per event (the
 * metrics say so); a late joiner of orderUpdated still starts with the current state; a client that stops
 * reading is dropped with 1008 (SLOW_CONSUMER) and holds nothing afterwards; a supergraph reload keeps open
 * subscriptions on the plan they started with. Real stack, real WebSocket and HTTP, real Redis and Postgres.
 */

const PLAN: SeedPlan = { users: 6, categories: 2, products: 40, warehouses: 1, orders: 4, wishlistItemsPerUser: 1 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
const customer = (i: number): Viewer => viewerWithRoles(nameBasedUuid(SeedNamespace.user, i), ['CUSTOMER']);
const silent = createLogger({ service: 'test', level: 'silent' });
const STOCK = 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id name stock { available } } }';

let stack: TestStack;
const routers: RunningRouter[] = [];
const clients: Client[] = [];
beforeAll(async () => {
  process.env.QUEUE_PREFIX = `subs-share-${randomUUID().slice(0, 8)}`;
  stack = await startStack(PLAN, { runWorkers: true });
}, 180_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  for (const router of routers) await router.close();
  await stack?.close();
});

async function router(overrides: Partial<RouterConfig> = {}): Promise<RunningRouter> {
  const started = await startRouter({ ...stack.routerConfig, port: 0, ...overrides }, silent);
  routers.push(started);
  while (!started.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  return started;
}

/** The sum of a Prometheus series (all its label sets, or those containing `labels`). */
async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}

async function until(condition: () => Promise<boolean> | boolean, what: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function wsClient(url: string, token?: string): Client {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: token ? { authorization: `Bearer ${token}` } : {} });
  clients.push(client);
  return client;
}

interface Followed {
  results: Array<{ data?: unknown; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }>;
  end: Promise<unknown>;
  dispose: () => void;
}

function follow(client: Client, query: string, variables: Record<string, unknown>): Followed {
  const results: Followed['results'] = [];
  let dispose: () => void = () => undefined;
  const end = new Promise((resolve) => {
    dispose = client.subscribe({ query, variables }, { next: (result) => void results.push(result), error: resolve, complete: () => resolve('complete') });
  });
  return { results, end, dispose };
}

const availableOf = (result: Followed['results'][number] | undefined) => (result?.data as { stockChanged?: { stock: { available: number } } } | undefined)?.stockChanged?.stock.available;

const adjustStock = async (productId: string, delta = 1) => {
  const { body } = await stack.query(
    'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { stockLevel { available } errors { code } } }',
    { input: { productId, warehouseId: seedWarehouse(0).id, delta, reason: 'test', idempotencyKey: randomUUID() } },
    admin,
  );
  const available = (body.data?.adjustStock as { stockLevel: { available: number } | null } | undefined)?.stockLevel?.available;
  if (available === undefined) throw new Error(`adjustStock failed: ${JSON.stringify(body)}`);
  return available;
};

/** Adjusts a product's stock until every subscriber heard a change (subgraph streams open a moment after the clients'). */
async function untilEveryoneHears(productId: string, followers: Followed[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    await adjustStock(productId);
    for (let wait = 0; wait < 10; wait += 1) {
      if (followers.every((followed) => followed.results.length > 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('not every subscriber heard a stock change');
}

describe('shared subscriptions', () => {
  it("share one inventory stream between every viewer of a product's stock, and run the rest of the plan once per event per viewer", async () => {
    const shared = await router();
    const product = seedProduct(3, PLAN);
    const token = await stack.accessTokenFor(customer(2));
    const anonymous = [follow(wsClient(shared.url), STOCK, { ids: [product.id] }), follow(wsClient(shared.url), STOCK, { ids: [product.id] }), follow(wsClient(shared.url), STOCK, { ids: [product.id] })];
    const signedIn = follow(wsClient(shared.url, token), STOCK, { ids: [product.id] });
    const everyone = [...anonymous, signedIn];
    await until(async () => (await metric(shared.url, 'router_subscriptions_open')) === 4, 'four open subscriptions');
    // stockChanged is a public feed: one inventory stream for anonymous and signed-in subscribers alike.
    expect(await metric(shared.url, 'router_subscription_upstreams_open')).toBe(1);
    await untilEveryoneHears(product.id, everyone);

    const [executions, events] = [await metric(shared.url, 'router_subscription_executions_total'), await metric(shared.url, 'router_subscription_events_total')];
    const available = await adjustStock(product.id);
    await until(() => everyone.every((followed) => availableOf(followed.results.at(-1)) === available), 'the change at every subscriber');
    // One run for the anonymous subscribers, one for the signed-in one (other subgraphs' fields may depend on who asks).
    expect((await metric(shared.url, 'router_subscription_executions_total')) - executions).toBe(2);
    expect((await metric(shared.url, 'router_subscription_events_total')) - events).toBe(4);
    for (const followed of everyone) expect(followed.results.at(-1)).toEqual({ data: { stockChanged: { id: product.id, name: expect.stringMatching(/\w/), stock: { available } } } });

    for (const followed of everyone) followed.dispose();
    await until(async () => (await metric(shared.url, 'router_subscription_upstreams_open')) === 0, 'the shared stream to close with its last subscriber');
    expect(await metric(shared.url, 'router_subscriptions_open')).toBe(0);
  }, 90_000);

  it('gives each client its own stream and runs when sharing is off', async () => {
    const separate = await router({ subscriptions: { sharing: { enabled: false, changeFeeds: [], publicFeeds: [] } } });
    const product = seedProduct(4, PLAN);
    const followers = [follow(wsClient(separate.url), STOCK, { ids: [product.id] }), follow(wsClient(separate.url), STOCK, { ids: [product.id] })];
    await until(async () => (await metric(separate.url, 'router_subscription_upstreams_open')) === 2, 'two streams');
    await untilEveryoneHears(product.id, followers);
    const executions = await metric(separate.url, 'router_subscription_executions_total');
    const available = await adjustStock(product.id);
    await until(() => followers.every((followed) => availableOf(followed.results.at(-1)) === available), 'the change at both subscribers');
    expect((await metric(separate.url, 'router_subscription_executions_total')) - executions).toBe(2);
    for (const followed of followers) followed.dispose();
  }, 90_000);

  it("shares one user's orderUpdated between their tabs, and a tab that joins late starts with the order's current state", async () => {
    const shared = await router();
    // A seeded order: no saga moves it meanwhile, so its current state is known.
    const { body } = await stack.query('query { orders(first: 1) { edges { node { id status user { id } } } } }', {}, admin);
    const order = (body.data?.orders as { edges: Array<{ node: { id: string; status: string; user: { id: string } } }> }).edges[0]?.node;
    if (!order) throw new Error('the seed has no order');
    const token = await stack.accessTokenFor(viewerWithRoles(order.user.id, ['CUSTOMER']));
    const query = 'subscription ($id: ID!) { orderUpdated(id: $id) { id status } }';
    const current = { data: { orderUpdated: { id: order.id, status: order.status } } };
    const first = follow(wsClient(shared.url, token), query, { id: order.id });
    await until(() => first.results.length > 0, 'the first tab to get the current state');
    const late = follow(wsClient(shared.url, token), query, { id: order.id });
    await until(() => late.results.length > 0, 'the late tab to get the current state');
    expect(late.results).toEqual([current]);
    expect(first.results).toEqual([current]);
    expect(await metric(shared.url, 'router_subscription_upstreams_open')).toBe(1);
    // Another viewer (an admin) of the same order gets a stream of its own: the subgraph answers per identity.
    const other = follow(wsClient(shared.url, await stack.accessTokenFor(admin)), query, { id: order.id });
    await until(() => other.results.length > 0, "the admin's current state");
    expect(other.results).toEqual([current]);
    expect(await metric(shared.url, 'router_subscription_upstreams_open')).toBe(2);
    for (const followed of [first, late, other]) followed.dispose();
  }, 90_000);
});

describe('a client that stops reading', () => {
  it('is dropped with 1008 SLOW_CONSUMER instead of buffered, holds nothing afterwards, and does not hold up the others', async () => {
    // Pings far apart: under load, filling the paused socket's buffers can take longer than an unanswered ping may.
    const small = await router({ subscriptions: { slowConsumerBacklog: 4, keepAliveMs: 300_000 } });
    const product = seedProduct(5, PLAN);
    // Events of about 30 kB each (1,000 aliases of the name, from catalog), so the socket's buffers fill soon.
    const aliases = Array.from({ length: 1_000 }, (_, index) => `n${index}: name`).join(' ');
    const big = `subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id stock { available } ${aliases} } }`;
    const reader = follow(wsClient(small.url), big, { ids: [product.id] });
    // A raw graphql-transport-ws client that stops reading its socket once subscribed.
    const socket = new WebSocket(small.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: big, variables: { ids: [product.id] } } }));
    await until(async () => (await metric(small.url, 'router_subscriptions_open')) === 2, 'both subscriptions');
    expect(await metric(small.url, 'router_subscription_upstreams_open')).toBe(1);
    await untilEveryoneHears(product.id, [reader]);
    socket.pause();

    // Changes, each its own transaction, a few at a time (the reader keeping up: no backlog anywhere but at the
    // paused client), until the router gives up on the paused client.
    const database = new pg.Client({ connectionString: stack.databaseUrls.inventory });
    // Reported by the queries; a connection cut at teardown is no test failure.
    database.on('error', () => undefined);
    await database.connect();
    const slowDropped = async () => (await metric(small.url, 'router_subscriptions_ended_total', 'reason="slow_consumer"')) > 0;
    try {
      for (let batch = 0; batch < 200 && !(await slowDropped()); batch += 1) {
        const updated = await Promise.all(
          Array.from({ length: 10 }, () =>
            database.query<{ available: number }>('UPDATE stock_levels SET on_hand = on_hand + 1, available = available + 1, updated_at = now() WHERE product_id = $1 RETURNING available', [product.id]),
          ),
        );
        const latest = Math.max(...updated.map((result) => result.rows[0]?.available ?? 0));
        await until(
          () => availableOf(reader.results.at(-1)) === latest,
          () => `the reader to keep up: ${latest} committed, its last of ${reader.results.length} results ${JSON.stringify(reader.results.at(-1)).slice(0, 300)}`,
          60_000,
        );
      }
    } finally {
      await database.end();
    }
    // Reading again at once (before the router's pings give up on it), the client finds what was in flight,
    // then the close with its reason.
    socket.resume();
    expect(await closed).toEqual({ code: 1008, reason: expect.stringMatching(/^SLOW_CONSUMER/) });
    expect(await metric(small.url, 'router_subscriptions_ended_total', 'reason="slow_consumer"')).toBe(1);
    // The dropped subscription holds nothing: only the reader's is open, on the one shared stream.
    await until(async () => (await metric(small.url, 'router_subscriptions_open')) === 1, 'the slow subscription to be gone');
    expect(await metric(small.url, 'router_subscription_upstreams_open')).toBe(1);
    // The reader is still served.
    const available = await adjustStock(product.id);
    await until(() => availableOf(reader.results.at(-1)) === available, 'the reader to see the next change');

    reader.dispose();
  }, 400_000);
});

describe('a supergraph reload', () => {
  it('keeps open subscriptions on the plan they started with; new ones get the new supergraph', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'supergraph-reload-'));
    const file = path.join(dir, 'supergraph.graphql');
    copyFileSync(SUPERGRAPH_PATH, file);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    try {
      const reloading = await startRouter({ ...stack.routerConfig, port: 0, supergraphPath: file }, createLogger({ service: 'router', level: 'info', destination }));
      routers.push(reloading);
      while (!reloading.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
      const product = seedProduct(6, PLAN);
      const before = follow(wsClient(reloading.url), STOCK, { ids: [product.id] });
      await untilEveryoneHears(product.id, [before]);

      // A new version of the supergraph (the same graph, one description changed): the router swaps it in live.
      const changed = readFileSync(SUPERGRAPH_PATH, 'utf8').replace('Human-friendly order number, e.g. SO-0001234.', 'Human-friendly order number (for instance SO-0001234).');
      expect(changed).not.toBe(readFileSync(SUPERGRAPH_PATH, 'utf8'));
      writeFileSync(file, changed);
      await until(() => lines.some((line) => line.includes('"msg":"supergraph reloaded"')), 'the reload');

      // The open subscription goes on (on its own plan and stream); a new one gets a stream of the new supergraph.
      const after = follow(wsClient(reloading.url), STOCK, { ids: [product.id] });
      await until(async () => (await metric(reloading.url, 'router_subscription_upstreams_open')) === 2, 'a stream for the new supergraph');
      await untilEveryoneHears(product.id, [after]);
      const available = await adjustStock(product.id);
      await until(() => [before, after].every((followed) => availableOf(followed.results.at(-1)) === available), 'the change at both subscribers');
      expect(before.results.every((result) => result.errors === undefined)).toBe(true);
      for (const followed of [before, after]) followed.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
