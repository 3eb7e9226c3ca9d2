import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedProduct, seedStockAvailable, seedWarehouse, type SeedPlan } from '@storefront/seed-world';
import { createClient, type Client, type FormattedExecutionResult as WsResult } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { CACHING_OFF, DEFAULT_PROTECTION, startRouter, type RunningRouter } from '@storefront/router';
import { createLogger } from '@storefront/telemetry';
import { testSubgraphConfig } from '@storefront/testing';
import { start as startOrders } from '../subgraphs/orders/src/index.ts';
import { startStack, type TestStack } from './support/stack.ts';

/*
 * Subscriptions through the router over WebSocket (graphql-transport-ws), on the real store: every subgraph on
 * its own Postgres, each hosting its service's workers so the checkout saga runs, Redis carrying the order
 * changes, and the router running each event's rest of plan against payments and catalog.
 */

type FormattedExecutionResult = WsResult<Record<string, unknown>, unknown>;

const PLAN: SeedPlan = { users: 12, categories: 3, products: 200, warehouses: 2, orders: 20, wishlistItemsPerUser: 1 };
const customer = (i: number): Viewer => viewerWithRoles(nameBasedUuid(SeedNamespace.user, i), ['CUSTOMER']);
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);

let stack: TestStack;
const clients: Client[] = [];
beforeAll(async () => {
  process.env.QUEUE_PREFIX = `subs-${randomUUID().slice(0, 8)}`;
  stack = await startStack(PLAN, { runWorkers: true });
}, 180_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await stack?.close();
});

const ORDER_UPDATED = `subscription Progress($id: ID!) {
  orderUpdated(id: $id) {
    id status cancelReason
    checkout { state failureReason }
    payment { status }
    items(first: 5) { edges { node { quantity purchasable { __typename name } } } }
  }
}`;

interface Progress {
  id: string;
  status: string;
  cancelReason: string | null;
  checkout: { state: string; failureReason: string | null } | null;
  payment: { status: string } | null;
  items: { edges: Array<{ node: { quantity: number; purchasable: { __typename: string; name: string } | null } }> };
}

function connect(authorization: string | undefined): Client {
  const client = createClient({
    url: stack.routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: authorization ? { authorization } : {},
  });
  clients.push(client);
  return client;
}

interface Collected {
  results: FormattedExecutionResult[];
  /** How the subscription ended: completed, or the error (GraphQL errors or a close event). */
  end: Promise<{ completed: true } | { error: unknown }>;
}

/** Subscribes and collects every result until the subscription ends or `until` holds for a result. */
function collect(client: Client, query: string, variables: Record<string, unknown>, until?: (result: FormattedExecutionResult) => boolean): Collected {
  const results: FormattedExecutionResult[] = [];
  const end = new Promise<{ completed: true } | { error: unknown }>((resolve) => {
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          results.push(result);
          if (until?.(result)) {
            dispose();
            resolve({ completed: true });
          }
        },
        error: (error) => resolve({ error }),
        complete: () => resolve({ completed: true }),
      },
    );
  });
  return { results, end };
}

const SHIPPING = { name: 'Ada Lovelace', line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'DE' };

async function placeOrder(viewer: Viewer, productIndex: number, quantity: number): Promise<{ id: string; total: number }> {
  const { body } = await stack.query(
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id total { amount } } errors { code message } } }',
    { input: { idempotencyKey: randomUUID(), items: [{ purchasableId: seedProduct(productIndex, PLAN).id, quantity }], shippingAddress: SHIPPING } },
    viewer,
  );
  const payload = body.data?.placeOrder as { order: { id: string; total: { amount: number } } | null; errors: unknown[] } | undefined;
  if (!payload?.order) throw new Error(`placeOrder failed: ${JSON.stringify(body)}`);
  return { id: payload.order.id, total: payload.order.total.amount };
}

const stockOf = (productIndex: number) => Array.from({ length: PLAN.warehouses }, (_, w) => seedStockAvailable(productIndex, w)).reduce((a, b) => a + b, 0);

/** A product with stock for `quantity` whose total for it ends (or does not end) in 13 cents. */
function productFor(declined: boolean, used: Set<number>): { index: number; quantity: number } {
  for (let index = 0; index < PLAN.products; index += 1) {
    if (used.has(index)) continue;
    for (let quantity = 1; quantity <= 10; quantity += 1) {
      if (stockOf(index) < quantity + 1) continue;
      const cents = (seedProduct(index, PLAN).priceCents * quantity) % 100;
      if (declined ? cents === 13 : cents !== 13 && cents !== 7) {
        used.add(index);
        return { index, quantity };
      }
    }
  }
  throw new Error(`no seeded product gives a ${declined ? 'declined' : 'payable'} total`);
}

const used = new Set<number>();
const progressOf = (result: FormattedExecutionResult) => (result.data as { orderUpdated: Progress } | null | undefined)?.orderUpdated;
const stepOf = (progress: Progress | undefined) => `${progress?.status}/${progress?.checkout?.state}`;
const finished = (result: FormattedExecutionResult) => ['COMPLETED', 'COMPENSATED'].includes(progressOf(result)?.checkout?.state ?? '');

/** The saga's path for a paid order, and for one whose payment was declined. */
const PAID_PATH = ['PENDING/RESERVING_STOCK', 'RESERVED/AUTHORIZING_PAYMENT', 'RESERVED/COMMITTING_STOCK', 'RESERVED/CAPTURING_PAYMENT', 'PAID/COMPLETED'];
const DECLINED_PATH = ['PENDING/RESERVING_STOCK', 'RESERVED/AUTHORIZING_PAYMENT', 'CANCELLED/COMPENSATING', 'CANCELLED/COMPENSATED'];

/** The steps seen must be the path's steps from wherever the subscription joined, each once, in order. */
function expectSuffixOf(path: readonly string[], steps: readonly string[]): void {
  const start = path.indexOf(steps[0] ?? '');
  expect(start).toBeGreaterThanOrEqual(0);
  expect(steps).toEqual(path.slice(start));
}

describe('orderUpdated over WebSocket', () => {
  it('follows a paid order through every checkout step once, in order, with fields from orders, payments and catalog', async () => {
    const buyer = customer(3);
    const { index, quantity } = productFor(false, used);
    const order = await placeOrder(buyer, index, quantity);
    const client = connect(`Bearer ${await stack.accessTokenFor(buyer)}`);
    const { results, end } = collect(client, ORDER_UPDATED, { id: order.id }, finished);
    expect(await end).toEqual({ completed: true });
    for (const result of results) expect(result.errors).toBeUndefined();
    const steps = results.map((result) => stepOf(progressOf(result)));
    expectSuffixOf(PAID_PATH, steps);
    const last = progressOf(results.at(-1)!)!;
    expect(last).toMatchObject({ id: order.id, status: 'PAID', cancelReason: null, payment: { status: 'CAPTURED' } });
    expect(last.items.edges).toEqual([{ node: { quantity, purchasable: { __typename: 'Product', name: expect.stringMatching(/\w/) } } }]);
  }, 120_000);

  it('follows an order whose card is declined through COMPENSATED, each step once and in order', async () => {
    const buyer = customer(4);
    const { index, quantity } = productFor(true, used);
    const client = connect(`Bearer ${await stack.accessTokenFor(buyer)}`);
    const order = await placeOrder(buyer, index, quantity);
    expect(order.total % 100).toBe(13);
    const { results, end } = collect(client, ORDER_UPDATED, { id: order.id }, finished);
    expect(await end).toEqual({ completed: true });
    expectSuffixOf(DECLINED_PATH, results.map((result) => stepOf(progressOf(result))));
    expect(progressOf(results.at(-1)!)).toMatchObject({ status: 'CANCELLED', cancelReason: 'PAYMENT_DECLINED', checkout: { failureReason: 'PAYMENT_DECLINED' } });
  }, 120_000);

  it("refuses another user's order (FORBIDDEN from orders) and lets an admin follow it", async () => {
    const { index, quantity } = productFor(false, used);
    const order = await placeOrder(customer(5), index, quantity);
    const intruder = collect(connect(`Bearer ${await stack.accessTokenFor(customer(6))}`), ORDER_UPDATED, { id: order.id });
    const ended = await intruder.end;
    const errors = 'error' in ended ? (ended.error as Array<{ extensions?: { code?: string } }>) : intruder.results.flatMap((result) => result.errors ?? []);
    expect(errors.map((error) => error.extensions?.code)).toContain('FORBIDDEN');
    expect(intruder.results.every((result) => !progressOf(result))).toBe(true);

    const watched = collect(connect(`Bearer ${await stack.accessTokenFor(admin)}`), ORDER_UPDATED, { id: order.id }, finished);
    expect(await watched.end).toEqual({ completed: true });
    expect(progressOf(watched.results.at(-1)!)).toMatchObject({ id: order.id, status: 'PAID' });
  }, 120_000);

  it('refuses anonymous subscribers before any subgraph is asked', async () => {
    const anonymous = collect(connect(undefined), ORDER_UPDATED, { id: randomUUID() });
    await anonymous.end;
    const errors = anonymous.results.flatMap((result) => result.errors ?? []);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['UNAUTHORIZED']);
  });

  it('closes a connection whose access token does not verify with 4401', async () => {
    const refused = collect(connect('Bearer not.a.token'), ORDER_UPDATED, { id: randomUUID() });
    const ended = await refused.end;
    expect(ended).toMatchObject({ error: { code: 4401 } });
  });

  it('ends the subscription with UNAUTHENTICATED when the access token expires', async () => {
    const buyer = customer(7);
    const { index, quantity } = productFor(false, used);
    const order = await placeOrder(buyer, index, quantity);
    const now = Math.floor(Date.now() / 1000);
    // Valid for the next two seconds only.
    const shortLived = await new SignJWT({ roles: ['CUSTOMER'], scope: 'orders:read orders:write' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(stack.accessTokens.issuer)
      .setAudience(stack.accessTokens.audience)
      .setSubject(buyer.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(new TextEncoder().encode(stack.accessTokens.secret));
    const { results, end } = collect(connect(`Bearer ${shortLived}`), ORDER_UPDATED, { id: order.id });
    const ended = await end;
    const last = results.at(-1);
    // The last result says why; the connection then closes with 4401 (seen as the end, or as the error).
    expect(last?.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(ended).toBeDefined();
    expect(results.slice(0, -1).every((result) => progressOf(result)?.id === order.id)).toBe(true);
  }, 60_000);
});

/** Reads a subscription over SSE or multipart HTTP until `until` holds for a result (then hangs up) or it ends. */
async function overHttp(
  kind: 'sse' | 'multipart',
  token: string | undefined,
  request: Record<string, unknown>,
  until: (result: FormattedExecutionResult) => boolean,
  routerUrl = stack.routerUrl,
): Promise<{ status: number; contentType: string | null; results: FormattedExecutionResult[]; refusal?: FormattedExecutionResult; raw?: string }> {
  const abort = new AbortController();
  const response = await fetch(routerUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: kind === 'sse' ? 'text/event-stream' : 'multipart/mixed;subscriptionSpec=1.0, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(request),
    signal: abort.signal,
  });
  // Refused before it streams: one JSON answer, as a query's.
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    return { status: response.status, contentType: response.headers.get('content-type'), results: [], refusal: (await response.json()) as FormattedExecutionResult };
  }
  const results: FormattedExecutionResult[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let raw = '';
  const separator = kind === 'sse' ? '\n\n' : '\r\n--graphql';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const decoded = decoder.decode(chunk, { stream: true });
      text += decoded;
      raw += decoded;
      let at: number;
      while ((at = text.indexOf(separator)) >= 0) {
        const part = text.slice(0, at);
        text = text.slice(at + separator.length);
        let result: FormattedExecutionResult | undefined;
        if (kind === 'sse') {
          const data = /^event: next\ndata: (.*)$/m.exec(part)?.[1];
          if (data) result = JSON.parse(data) as FormattedExecutionResult;
        } else {
          const json = part.split('\r\n\r\n')[1];
          const body = json ? (JSON.parse(json) as { payload?: FormattedExecutionResult | null }) : undefined;
          if (body?.payload) result = body.payload;
        }
        if (!result) continue;
        results.push(result);
        if (until(result)) {
          abort.abort();
          return { status: response.status, contentType: response.headers.get('content-type'), results, raw };
        }
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), results, raw };
}

describe('orderUpdated over SSE and multipart HTTP', () => {
  it('gives the same events as WebSocket', async () => {
    const buyer = customer(8);
    const token = await stack.accessTokenFor(buyer);
    const { index, quantity } = productFor(false, used);
    const order = await placeOrder(buyer, index, quantity);
    const ws = collect(connect(`Bearer ${token}`), ORDER_UPDATED, { id: order.id }, finished);
    const [sse, multipart] = await Promise.all([overHttp('sse', token, { query: ORDER_UPDATED, variables: { id: order.id } }, finished), overHttp('multipart', token, { query: ORDER_UPDATED, variables: { id: order.id } }, finished)]);
    await ws.end;
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    expect(multipart.contentType).toMatch(/^multipart\/mixed;boundary="graphql";subscriptionSpec="1.0"/);
    for (const results of [ws.results, sse.results, multipart.results]) {
      expectSuffixOf(PAID_PATH, results.map((result) => stepOf(progressOf(result))));
      expect(results.at(-1)).toEqual(ws.results.at(-1));
    }
  }, 120_000);

  it('leaves queries with those Accept headers to the usual HTTP answers', async () => {
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('stockChanged', () => {
  it("tells anonymous subscribers of a product's committed stock changes, with its name from catalog", async () => {
    const productIndex = 2;
    const product = seedProduct(productIndex, PLAN);
    const events: FormattedExecutionResult[] = [];
    const client = connect(undefined);
    const dispose = client.subscribe(
      { query: 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id name stock { available } } }', variables: { ids: [product.id] } },
      { next: (result) => void events.push(result), error: () => undefined, complete: () => undefined },
    );
    const adjust = () =>
      stack.query(
        'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { errors { code } } }',
        { input: { productId: product.id, warehouseId: seedWarehouse(0).id, delta: 1, reason: 'restock', idempotencyKey: randomUUID() } },
        admin,
      );
    // The subgraph's subscription opens a moment after the client's: adjust until one change is heard.
    for (let attempt = 0; attempt < 50 && events.length === 0; attempt += 1) {
      expect((await adjust()).body.errors).toBeUndefined();
      for (let wait = 0; wait < 10 && events.length === 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    dispose();
    expect(events[0]).toEqual({ data: { stockChanged: { id: product.id, name: expect.stringMatching(/\w/), stock: { available: expect.any(Number) } } } });
    const { body } = await stack.query('query ($id: ID!) { product(id: $id) { stock { available } } }', { id: product.id });
    const available = (body.data?.product as { stock: { available: number } }).stock.available;
    expect((events.at(-1)?.data as { stockChanged: { stock: { available: number } } }).stockChanged.stock.available).toBeLessThanOrEqual(available);
  }, 60_000);

  it('refuses more than 100 products', async () => {
    const ids = Array.from({ length: 101 }, () => randomUUID());
    const refused = collect(connect(undefined), 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id } }', { ids });
    await refused.end;
    expect(refused.results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('safelist mode', () => {
  // One manifest for the router below: two subscriptions and a query, by the text clients send.
  const STOCK = 'subscription Stock($ids: [ID!]!) { stockChanged(productIds: $ids) { id name } }';
  const DEEP_STOCK = 'subscription DeepStock($ids: [ID!]!) { stockChanged(productIds: $ids) { id stock { available } } }';
  const DEEP_PRODUCT = 'query DeepProduct($id: ID!) { product(id: $id) { id stock { available } } }';
  const UNLISTED = 'subscription Unlisted($ids: [ID!]!) { stockChanged(productIds: $ids) { id } }';
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const product = seedProduct(3, PLAN);
  let router: RunningRouter;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'safelist-'));
    const manifest = path.join(dir, 'persisted-queries.json');
    const operations = [
      { name: 'Stock', type: 'subscription', body: STOCK },
      { name: 'DeepStock', type: 'subscription', body: DEEP_STOCK },
      { name: 'DeepProduct', type: 'query', body: DEEP_PRODUCT },
    ].map((operation) => ({ ...operation, id: sha256(operation.body) }));
    writeFileSync(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
    router = await startRouter(
      {
        ...stack.routerConfig,
        port: 0,
        cache: { ...CACHING_OFF, safelistPath: manifest },
        // Depth 2 admits Stock and refuses DeepStock and DeepProduct (3 levels each).
        protection: { ...DEFAULT_PROTECTION, queryLimits: { ...DEFAULT_PROTECTION.queryLimits, maxDepth: 2 } },
      },
      createLogger({ service: 'test', level: 'silent' }),
    );
    while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(async () => {
    await router?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const wsClient = () => {
    const client = createClient({ url: router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  };
  /** Adjusts the product's stock until `heard` holds (the subscription's subgraph stream opens a moment after it starts). */
  async function changeStockUntil(heard: () => boolean): Promise<void> {
    for (let attempt = 0; attempt < 50 && !heard(); attempt += 1) {
      await stack.query(
        'mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { errors { code } } }',
        { input: { productId: product.id, warehouseId: seedWarehouse(0).id, delta: 1, reason: 'restock', idempotencyKey: randomUUID() } },
        admin,
      );
      for (let wait = 0; wait < 10 && !heard(); wait += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const codesOf = (results: readonly FormattedExecutionResult[]) => results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code);
  const variables = { ids: [product.id] };
  const stockEvent = { data: { stockChanged: { id: product.id, name: expect.stringMatching(/\w/) } } };

  it('runs a listed subscription over WebSocket, SSE and multipart HTTP, by its text or (over HTTP) by its id alone', async () => {
    const ws = collect(wsClient(), STOCK, variables, () => true);
    const byId = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(STOCK) } }, variables };
    const http = Promise.all([
      overHttp('sse', undefined, { query: STOCK, variables }, () => true, router.url),
      overHttp('multipart', undefined, byId, () => true, router.url),
      overHttp('sse', undefined, byId, () => true, router.url),
    ]);
    let settled = false;
    void Promise.all([ws.end, http]).finally(() => (settled = true));
    await changeStockUntil(() => settled);
    await ws.end;
    expect(ws.results[0]).toEqual(stockEvent);
    for (const stream of await http) {
      expect(stream.status).toBe(200);
      expect(stream.results[0]).toEqual(stockEvent);
    }
    // A multipart part is written with the delimiter that ends it, so the first event was readable at once, not
    // only once the next change (or a heartbeat) began another part: what was read up to it ends with it.
    const [, multipart] = await http;
    expect(multipart?.raw).toMatch(/^\r\n--graphql\r\ncontent-type: application\/json\r\n\r\n\{"payload":.*\}\r\n--graphql$/s);
  }, 60_000);

  it('refuses an unlisted subscription on every transport with PERSISTED_QUERY_NOT_IN_SAFELIST, as it refuses a query', async () => {
    const ws = collect(wsClient(), UNLISTED, variables);
    await expect(ws.end).resolves.toEqual({ error: expect.any(Array) });
    const wsError = (await ws.end) as { error: Array<{ extensions?: { code?: string } }> };
    expect(wsError.error.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_SAFELIST']);
    for (const kind of ['sse', 'multipart'] as const) {
      const refused = await overHttp(kind, undefined, { query: UNLISTED, variables }, () => true, router.url);
      expect({ status: refused.status, codes: codesOf(refused.refusal ? [refused.refusal] : []) }).toEqual({ status: 400, codes: ['PERSISTED_QUERY_NOT_IN_SAFELIST'] });
    }
    // An id the manifest does not hold, and the same text as a query would be refused.
    const unknownId = await overHttp('sse', undefined, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(UNLISTED) } }, variables }, () => true, router.url);
    expect(codesOf(unknownId.refusal ? [unknownId.refusal] : [])).toEqual(['PERSISTED_QUERY_NOT_IN_SAFELIST']);
    const query = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(query.status).toBe(400);
    expect(codesOf([(await query.json()) as FormattedExecutionResult])).toEqual(['PERSISTED_QUERY_NOT_IN_SAFELIST']);
  });

  it('applies the depth limit to a listed subscription on every transport, with the code a query gets', async () => {
    const query = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: DEEP_PRODUCT, variables: { id: product.id } }) });
    expect(query.status).toBe(400);
    expect(codesOf([(await query.json()) as FormattedExecutionResult])).toEqual(['QUERY_TOO_DEEP']);
    const ws = collect(wsClient(), DEEP_STOCK, variables);
    const wsError = (await ws.end) as { error: Array<{ extensions?: { code?: string } }> };
    expect(wsError.error.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
    for (const kind of ['sse', 'multipart'] as const) {
      const refused = await overHttp(kind, undefined, { query: DEEP_STOCK, variables }, () => true, router.url);
      expect({ status: refused.status, codes: codesOf(refused.refusal ? [refused.refusal] : []) }).toEqual({ status: 400, codes: ['QUERY_TOO_DEEP'] });
    }
  });
});

describe('limits, end to end', () => {
  const STOCK = 'subscription ($ids: [ID!]!) { stockChanged(productIds: $ids) { id } }';
  const variables = { ids: [seedProduct(4, PLAN).id] };
  let router: RunningRouter;
  beforeAll(async () => {
    router = await startRouter(
      { ...stack.routerConfig, port: 0, subscriptions: { perConnection: 1, connectionsPerUser: 1, connectionsPerAddress: 2 } },
      createLogger({ service: 'test', level: 'silent' }),
    );
    while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(() => router?.close());

  /** A client whose connection is admitted (its first subscription open) before this resolves. */
  async function connected(authorization?: string): Promise<Client> {
    const client = createClient({ url: router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: authorization ? { authorization } : {} });
    clients.push(client);
    return client;
  }
  /** Resolves once `done` holds; fails after 10 s instead of hanging the test. */
  const until = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const tick = () => (done() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(tick, 20));
      tick();
    });

  it('refuses a second subscription on a connection, a second connection of a user and a third of an address', async () => {
    const anonymous = await connected();
    let acknowledged = 0;
    anonymous.on('connected', () => (acknowledged += 1));
    const first = collect(anonymous, STOCK, variables);
    await until(() => acknowledged === 1);
    // The first subscription registered at the router (it answers subscribe messages one after another anyway).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = collect(anonymous, STOCK, variables);
    const secondEnd = (await second.end) as { error: Array<{ extensions?: { code?: string } }> };
    expect(secondEnd.error.map((error) => error.extensions?.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);

    const token = await stack.accessTokenFor(customer(9));
    const user = await connected(`Bearer ${token}`);
    let userAcknowledged = false;
    user.on('connected', () => (userAcknowledged = true));
    const held = collect(user, STOCK, variables);
    await until(() => userAcknowledged);
    // The same user over SSE: a second connection of that user.
    const sse = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STOCK, variables }),
    });
    expect(sse.status).toBe(429);
    expect(((await sse.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors[0]).toEqual({
      message: expect.stringContaining('per user'),
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    // Two connections from this address are open: a third is closed with 4429.
    const third = collect(await connected(), STOCK, variables);
    expect(await third.end).toEqual({ error: expect.objectContaining({ code: 4429, reason: expect.stringContaining('per address') }) });
    // Both held subscriptions are still open.
    expect(await Promise.race([first.end, held.end, new Promise((resolve) => setTimeout(() => resolve('open'), 200))])).toBe('open');
  }, 30_000);
});

describe('notificationAdded', () => {
  it("brings the signed-in user's new notifications as checkout sends them, with the order from orders", async () => {
    const buyer = customer(9);
    const { index, quantity } = productFor(false, used);
    const client = connect(`Bearer ${await stack.accessTokenFor(buyer)}`);
    const paid = (result: FormattedExecutionResult) => (result.data as { notificationAdded?: { order?: { status?: string } | null } } | null)?.notificationAdded?.order?.status === 'PAID';
    let orderId: string | undefined;
    const bell = collect(client, 'subscription { notificationAdded { kind title order { id status } } }', {}, (result) => {
      const added = (result.data as { notificationAdded?: { order?: { id: string; status: string } | null } } | null)?.notificationAdded;
      return added?.order?.id === orderId && paid(result);
    });
    // The subgraph's subscription opens a moment after the client's: order until a notification is heard.
    for (let attempt = 0; attempt < 20 && bell.results.length === 0; attempt += 1) {
      orderId = (await placeOrder(buyer, index, quantity)).id;
      for (let wait = 0; wait < 40 && bell.results.length === 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await bell.end).toEqual({ completed: true });
    for (const result of bell.results) expect(result.errors).toBeUndefined();
    expect(bell.results.at(-1)?.data).toMatchObject({ notificationAdded: { title: expect.stringMatching(/\w/), order: { id: orderId, status: 'PAID' } } });
  }, 120_000);

  it('refuses anonymous subscribers', async () => {
    const anonymous = collect(connect(undefined), 'subscription { notificationAdded { id } }', {});
    await anonymous.end;
    expect(anonymous.results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code)).toEqual(['UNAUTHORIZED']);
  });
});

describe('a router shutting down', () => {
  it('ends each open subscription with SHUTTING_DOWN instead of cutting it off', async () => {
    const router = await startRouter({ ...stack.routerConfig, port: 0 }, createLogger({ service: 'test', level: 'silent' }));
    while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
    const buyer = customer(10);
    const { index, quantity } = productFor(false, used);
    const order = await placeOrder(buyer, index, quantity);
    const client = createClient({ url: router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await stack.accessTokenFor(buyer)}` } });
    clients.push(client);
    const followed = collect(client, ORDER_UPDATED, { id: order.id });
    while (followed.results.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await router.close();
    await followed.end;
    expect(followed.results.at(-1)?.errors?.map((error) => error.extensions?.code)).toEqual(['SHUTTING_DOWN']);
  }, 60_000);
});

describe('two routers and two orders replicas', () => {
  it('give every subscriber each change once, whichever replica serves it, and a replica going away ends its streams with an error', async () => {
    const silentLog = createLogger({ service: 'test', level: 'silent' });
    const replica = await startOrders(testSubgraphConfig(stack.databaseUrls.orders as string), silentLog);
    const second = await startRouter({ ...stack.routerConfig, port: 0, subgraphUrls: { ...stack.routerConfig.subgraphUrls, orders: replica.url } }, silentLog);
    try {
      while (!second.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
      const buyer = customer(11);
      const token = `Bearer ${await stack.accessTokenFor(buyer)}`;
      const { index, quantity } = productFor(false, used);
      const order = await placeOrder(buyer, index, quantity);
      const viaSecond = createClient({ url: second.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: token } });
      clients.push(viaSecond);
      const [one, two] = [collect(connect(token), ORDER_UPDATED, { id: order.id }, finished), collect(viaSecond, ORDER_UPDATED, { id: order.id }, finished)];
      expect(await one.end).toEqual({ completed: true });
      expect(await two.end).toEqual({ completed: true });
      // Both bridges published every change: each subscriber still sees each step once.
      for (const results of [one.results, two.results]) expectSuffixOf(PAID_PATH, results.map((result) => stepOf(progressOf(result))));

      const watching = collect(viaSecond, ORDER_UPDATED, { id: order.id });
      while (watching.results.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await replica.close();
      await watching.end;
      expect(watching.results.at(-1)?.errors?.map((error) => error.extensions?.code)).toEqual([expect.stringMatching(/^(SUBGRAPH_UNAVAILABLE|SHUTTING_DOWN)$/)]);
    } finally {
      await second.close();
      await replica.close();
    }
  }, 120_000);
});

