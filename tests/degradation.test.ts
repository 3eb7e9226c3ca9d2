import { createServer, type Server, type Socket } from 'node:net';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedOrder, type SeedPlan } from '@storefront/seed-world';
import { startRouter, type RunningRouter } from '@storefront/router';
import { freePort } from './support/ports.ts';
import { ORDER_HISTORY, PRODUCT_PAGE } from './support/storefront-operations.ts';
import { postGraphQL, startStack, type GraphQLResponse, type TestStack } from './support/stack.ts';

/*
 * Degrade, never collapse: the README's storefront queries with each subgraph in turn dead (connection refused)
 * or frozen (connections accepted, nothing answered: a SIGSTOPped process or a hung event loop). Each case says
 * which parts of the healthy answer go missing — exactly those the failed subgraph serves, nulled at the nearest
 * nullable field, as the schema's nullability rule intends (README, "Nullability across subgraphs") — and that
 * every error names the subgraph with a typed code and a path pointing at a missing part. Everything else must
 * be exactly what the healthy stack answered.
 */

const PLAN: SeedPlan = { users: 12, categories: 3, products: 30, warehouses: 2, orders: 60, wishlistItemsPerUser: 1 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
/** A frozen subgraph's deadline here: short, so the suite is quick, and set per subgraph, as production would. */
const FROZEN_TIMEOUT_MS = 800;

const SEARCH = `query Search {
  products(first: 12, orderBy: PRICE_ASC) {
    edges { node { name price { amount currency } inStock averageRating reviewCount } }
    pageInfo { hasNextPage endCursor }
  }
}`;
/** The header's notification bell (notifications extends User). */
const NOTIFICATION_BELL = `query NotificationBell { me { name unreadNotificationCount } }`;
const ADMIN_ORDERS = `query AdminOrders {
  orders(first: 5) {
    edges { node {
      number status cancelReason
      user { name email }
      total { amount }
      payment { status declineReason refundedAmount { amount } }
      items(first: 10) { edges { node { quantity purchasable { name } shippedFrom { warehouse { name } available } } } }
    } }
  }
}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Page {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  viewer?: Viewer;
}

/**
 * What a subgraph's failure takes from a page: paths (`*` for every list item) that come back null. `maybe`
 * paths may stay as they were: `inStock` is served by catalog or inventory, as progressive override decides.
 */
interface Loss {
  null: string[];
  maybe?: string[];
}

let stack: TestStack;
let customer: Viewer;
let productId: string;
const pages: Page[] = [];
const healthy = new Map<string, Json>();

beforeAll(async () => {
  stack = await startStack(PLAN);
  // A customer with a fulfilled order (so items shipped from a warehouse) and a reviewed product.
  const order = Array.from({ length: PLAN.orders }, (_, i) => seedOrder(i, PLAN)).find((candidate) => candidate.status === 'FULFILLED' && candidate.items.some((item) => item.productIndex !== null));
  if (!order) throw new Error('the plan has no fulfilled order');
  customer = viewerWithRoles(order.userId, ['CUSTOMER']);
  productId = order.items.find((item) => item.productIndex !== null)!.purchasableId;  
  pages.push(
    { name: 'search', query: SEARCH },
    { name: 'product page', query: PRODUCT_PAGE, variables: { id: productId } },
    { name: 'order history', query: ORDER_HISTORY, viewer: customer },
    { name: 'notification bell', query: NOTIFICATION_BELL, viewer: customer },
    { name: 'admin orders', query: ADMIN_ORDERS, viewer: admin },
  );
  for (const page of pages) {
    const { status, body } = await stack.query(page.query, page.variables, page.viewer);
    if (status !== 200 || body.errors) throw new Error(`the healthy ${page.name} failed: ${JSON.stringify(body.errors)}`);
    healthy.set(page.name, body.data as Json);
  }
});
afterAll(() => stack?.close());

it('starts from healthy pages that hold every part a fault could take', () => {
  const product = (healthy.get('product page') as { product: Record<string, Json> }).product;
  expect(product.reviews).toMatchObject({ edges: [expect.anything()] });
  expect(product.shippingEstimate).not.toBeNull();
  const orders = (healthy.get('order history') as { me: { orders: { edges: Array<{ node: Record<string, Json> }> } } }).me.orders.edges;
  expect(orders.some(({ node }) => node.payment !== null)).toBe(true);
  const adminOrders = (healthy.get('admin orders') as { orders: { edges: Array<{ node: { items: { edges: Array<{ node: Record<string, Json> }> } } }> } }).orders.edges;
  expect(adminOrders.some(({ node }) => node.items.edges.some((item) => item.node.shippedFrom !== null))).toBe(true);
});

/** For each subgraph, what each page loses while it is down. Pages not listed must come back whole. */
const LOSSES: Record<string, Record<string, Loss>> = {
  accounts: {
    // The entry point of a signed-in page is accounts' `me`: nothing to show without it.
    'order history': { null: ['me'] },
    'notification bell': { null: ['me'] },
    'admin orders': { null: ['orders.edges.*.node.user'] },
    // Reviews carry their authors' names (@provides), so the product page never needed accounts.
  },
  catalog: {
    search: { null: ['products'] },
    'product page': { null: ['product'] },
    'order history': { null: ['me.orders.edges.*.node.items.edges.*.node.purchasable'] },
    'admin orders': { null: ['orders.edges.*.node.items.edges.*.node.purchasable'] },
  },
  inventory: {
    search: { null: [], maybe: ['products.edges.*.node.inStock'] },
    'product page': { null: ['product.stock', 'product.shippingEstimate'], maybe: ['product.inStock'] },
    'admin orders': { null: ['orders.edges.*.node.items.edges.*.node.shippedFrom'] },
  },
  notifications: {
    'notification bell': { null: ['me.unreadNotificationCount'] },
  },
  orders: {
    'order history': { null: ['me.orders'] },
    'admin orders': { null: ['orders'] },
  },
  payments: {
    'order history': { null: ['me.orders.edges.*.node.payment'] },
    'admin orders': { null: ['orders.edges.*.node.payment'] },
  },
  reviews: {
    search: { null: ['products.edges.*.node.averageRating', 'products.edges.*.node.reviewCount'] },
    'product page': { null: ['product.averageRating', 'product.reviewCount', 'product.reviews'] },
  },
  // Operations (the queue admin) serves no storefront page.
  operations: {},
};

/** `data` with every value at `path` replaced by `replace(value)`. */
function mapAt(data: Json, path: string[], replace: (value: Json) => Json): Json {
  if (path.length === 0) return replace(data);
  const [head, ...rest] = path;
  if (data === null || typeof data !== 'object') return data;
  if (Array.isArray(data)) return data.map((item, i) => (head === '*' || head === String(i) ? mapAt(item, rest, replace) : item));
  if (head === undefined || !(head in data)) return data;
  return { ...data, [head]: mapAt(data[head] ?? null, rest, replace) };
}

/** The value at `path` in a response, for copying a `maybe` part over from what actually came back. */
function valueAt(data: Json, path: Array<string | number>): Json {
  let current: Json = data;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return null;
    current = (Array.isArray(current) ? current[Number(step)] : current[String(step)]) ?? null;
  }
  return current;
}

/** Concrete paths (list indexes filled in) of a wildcard path in `data`. */
function concretePaths(data: Json, path: string[], prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (path.length === 0) return [prefix];
  const [head, ...rest] = path;
  if (data === null || typeof data !== 'object') return [];
  if (head === '*') return Array.isArray(data) ? data.flatMap((item, i) => concretePaths(item, rest, [...prefix, i])) : [];
  if (Array.isArray(data) || head === undefined || !(head in data)) return [];
  return concretePaths(data[head] ?? null, rest, [...prefix, head]);
}

function expectLoss(page: Page, subgraph: string, body: GraphQLResponse['body'], codes: string[]): void {
  const loss = LOSSES[subgraph]?.[page.name] ?? { null: [] };
  const before = healthy.get(page.name) ?? null;
  const actual = (body.data ?? null) as Json;
  let expected = before;
  for (const path of loss.null) expected = mapAt(expected, path.split('.'), () => null);
  for (const path of loss.maybe ?? []) {
    for (const concrete of concretePaths(expected, path.split('.'))) {
      const seen = valueAt(actual, concrete);
      const original = valueAt(before, concrete);
      expect([original, null]).toContainEqual(seen);
      expected = mapAt(expected, concrete.map(String), () => seen);
    }
  }
  expect({ page: page.name, data: actual }).toEqual({ page: page.name, data: expected });

  const errors = body.errors ?? [];
  if (loss.null.length === 0 && errors.length === 0) return;
  // A `maybe` part that came from the failed subgraph this time brings an error too; a nulled part always does.
  if (loss.null.length > 0) expect(errors.length).toBeGreaterThan(0);
  const lostPaths = [...loss.null, ...(loss.maybe ?? [])].flatMap((path) => concretePaths(before, path.split('.')));
  for (const error of errors) {
    expect({ page: page.name, code: error.extensions?.code, serviceName: error.extensions?.serviceName }).toEqual({
      page: page.name,
      code: codes.includes(String(error.extensions?.code)) ? error.extensions?.code : `one of ${codes.join(', ')}`,
      serviceName: subgraph,
    });
    // One error per failed fetch, at the place its fields would have merged (cut before the first list when the
    // fetch served every item of one): the lost part itself, or the object or list holding it.
    const path = ((error.path ?? []) as Array<string | number>).map(String);
    const pointsAtLoss = path.length > 0 && lostPaths.some((lost) => path.every((step, i) => String(lost[i]) === step) || lost.every((step, i) => String(step) === path[i]));
    expect({ page: page.name, path: path.join('/'), pointsAtLoss }).toEqual({ page: page.name, path: path.join('/'), pointsAtLoss: true });
  }
}

/** A port where nothing listens: calls to it are refused at once, like a killed process's. */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/graphql`;
}

/** A server that accepts connections and reads requests but never answers, like a SIGSTOPped subgraph's. */
async function frozenServer(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      if (chunk.includes('POST ')) requests += 1;
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A router like the stack's with one subgraph's URL replaced, and a short deadline for that subgraph only. */
async function routerWith(subgraph: string, url: string): Promise<RunningRouter> {
  const router = await startRouter(
    {
      ...stack.routerConfig,
      subgraphUrls: { ...stack.routerConfig.subgraphUrls, [subgraph]: url },
      subgraphTimeouts: { [subgraph]: FROZEN_TIMEOUT_MS },
    },
    undefined,
  );
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  return router;
}

async function ask(router: RunningRouter, page: Page): Promise<GraphQLResponse> {
  return postGraphQL(router.url, { query: page.query, variables: page.variables }, { token: page.viewer ? await stack.accessTokenFor(page.viewer) : undefined });
}

describe.each(Object.keys(LOSSES))('with %s dead', (subgraph) => {
  it('every page still answers 200 with all the other subgraphs’ parts, and SUBGRAPH_UNAVAILABLE where its parts were', async () => {
    const router = await routerWith(subgraph, await deadUrl());
    try {
      for (const page of pages) {
        const { status, body } = await ask(router, page);
        expect({ page: page.name, status }).toEqual({ page: page.name, status: 200 });
        expectLoss(page, subgraph, body, ['SUBGRAPH_UNAVAILABLE']);
      }
    } finally {
      await router.close();
    }
  });
});

describe.each(Object.keys(LOSSES).filter((name) => Object.keys(LOSSES[name] ?? {}).length > 0))('with %s frozen', (subgraph) => {
  it('the first callers wait only its deadline (SUBGRAPH_TIMEOUT), then its open circuit answers at once without calling it', async () => {
    const frozen = await frozenServer();
    const router = await routerWith(subgraph, frozen.url);
    try {
      const page = pages.find((candidate) => LOSSES[subgraph]?.[candidate.name]?.null.length) ?? pages[0]!;  
      // The first caller waits about the deadline, not 10 s, and is told the subgraph timed out.
      const started = performance.now();
      const first = await ask(router, page);
      const waited = performance.now() - started;
      expect(first.status).toBe(200);
      expectLoss(page, subgraph, first.body, ['SUBGRAPH_TIMEOUT']);
      expect(waited).toBeGreaterThanOrEqual(FROZEN_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(FROZEN_TIMEOUT_MS * 5);
      // A second timeout opens the circuit (CIRCUIT_BREAKER_TIMEOUTS=2): in this call, or already in the first
      // when its plan had two fetches to the subgraph.
      const second = await ask(router, page);
      expect(second.status).toBe(200);
      expectLoss(page, subgraph, second.body, ['SUBGRAPH_TIMEOUT', 'SUBGRAPH_UNAVAILABLE']);
      const calledWhileClosed = frozen.requests();
      expect(calledWhileClosed).toBeGreaterThan(0);
      // Open: every page answers without waiting on it, and it is not called again during the cooldown.
      for (const each of pages) {
        const { status, body } = await ask(router, each);
        expect(status).toBe(200);
        expectLoss(each, subgraph, body, ['SUBGRAPH_UNAVAILABLE']);
      }
      expect(frozen.requests()).toBe(calledWhileClosed);
    } finally {
      await router.close();
      await frozen.close();
    }
  });
});
