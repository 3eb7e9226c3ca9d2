import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, type SeedPlan } from '@storefront/seed-world';
import { postGraphQL, startStack, type TestStack } from './support/stack.ts';

const PLAN: SeedPlan = { users: 60, categories: 6, products: 120, warehouses: 2, orders: 150, wishlistItemsPerUser: 4 };

const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);

let stack: TestStack;
/** Expected statement counts: the given subgraphs, zero for every other one. */
const statements = (counts: Record<string, number>) =>
  Object.fromEntries(Object.keys(stack.subgraphs).map((name) => [name, counts[name] ?? 0]));
beforeAll(async () => {
  stack = await startStack(PLAN);
});
afterAll(() => stack?.close());

interface Edges<Node> {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('a query across accounts and catalog', () => {
  it("returns a user's wishlist with the products' catalog data, to that user", async () => {
    const userId = nameBasedUuid(SeedNamespace.user, 5);
    const { status, body } = await stack.query(
      `query ($id: ID!) {
        user(id: $id) {
          name
          wishlist(first: 10) { edges { addedAt node { id sku name price { amount currency } category { name } } } }
        }
      }`,
      { id: userId },
      // A wishlist is its owner's (docs/privacy.md): anyone else gets null and FORBIDDEN.
      viewerWithRoles(userId, ['CUSTOMER']),
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const user = body.data!.user as { name: string; wishlist: Edges<{ id: string; sku: string; name: string; price: { amount: number; currency: string }; category: { name: string } }> };
    expect(user.name).toEqual(expect.any(String));
    expect(user.wishlist.edges).toHaveLength(PLAN.wishlistItemsPerUser);
    for (const { node } of user.wishlist.edges) {
      expect(node.sku).toMatch(/^SKU-\d{6}$/);
      expect(node.name.length).toBeGreaterThan(0);
      expect(node.price).toEqual({ amount: expect.any(Number), currency: 'EUR' });
      expect(Number.isInteger(node.price.amount)).toBe(true);
      expect(node.category.name.length).toBeGreaterThan(0);
    }
  });

  it('resolves a product by its second key (sku) as well as by id', async () => {
    const { body } = await stack.query('{ bySku: product(sku: "SKU-000003") { id sku } byId: product(id: "' + nameBasedUuid(SeedNamespace.product, 2) + '") { sku } }');
    expect(body.data).toEqual({ bySku: { id: nameBasedUuid(SeedNamespace.product, 2), sku: 'SKU-000003' }, byId: { sku: 'SKU-000003' } });
  });

  it('pages through every product exactly once', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const { body } = await stack.query('query ($after: String) { products(first: 50, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { after });
      const products = body.data!.products as Edges<{ id: string }>;
      for (const { node } of products.edges) seen.add(node.id);
      if (!products.pageInfo.hasNextPage) break;
      after = products.pageInfo.endCursor;
    }
    expect(seen.size).toBe(PLAN.products);
  });
});

describe('batching: SQL statements per federated query do not grow with the page size', () => {
  const productsWithCategory = (n: number) => stack.query(`{ products(first: ${n}) { edges { node { name category { name } } } } }`);
  const usersWithWishlistProducts = (n: number) =>
    stack.query(`{ users(first: ${n}) { edges { node { name wishlist(first: 3) { edges { node { name price { amount } category { slug } } } } } } } }`, {}, admin);

  it('products with their category: 2 catalog queries for 1 or 50 products', async () => {
    const one = await stack.countQueries(() => productsWithCategory(1));
    const fifty = await stack.countQueries(() => productsWithCategory(50));
    expect(one).toEqual(statements({ catalog: 2 }));
    expect(fifty).toEqual(one);
  });

  it('users → wishlist → product → category: the same statements for 1 or 50 users', async () => {
    const one = await stack.countQueries(() => usersWithWishlistProducts(1));
    const fifty = await stack.countQueries(() => usersWithWishlistProducts(50));
    expect(one).toEqual(statements({ accounts: 2, catalog: 2 }));
    expect(fifty).toEqual(one);
    const { body } = await usersWithWishlistProducts(50);
    expect(body.errors).toBeUndefined();
    expect((body.data!.users as Edges<unknown>).edges).toHaveLength(50);
  });

  it('categories with a page of their products: one statement for all categories', async () => {
    const counts = await stack.countQueries(() => stack.query('{ categories(first: 6) { edges { node { name products(first: 5) { edges { node { sku } } } } } } }'));
    expect(counts).toEqual(statements({ catalog: 2 }));
  });
});

describe('bad input gets a GraphQL error with a code, never a 500', () => {
  const codeOf = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => body.errors?.[0]?.extensions?.code;

  it('malformed JSON → 400 BAD_REQUEST', async () => {
    const { status, body } = await postGraphQL(stack.routerUrl, '{"query": "{ products { edges');
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('BAD_REQUEST');
  });

  it('unknown field → 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const { status, body } = await stack.query('{ products { edges { node { price { amount } secretCost } } } }');
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('wrong variable type → 400 BAD_USER_INPUT', async () => {
    const { status, body } = await stack.query('query ($n: Int) { products(first: $n) { edges { node { id } } } }', { n: 'ten' });
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
  });

  it('syntax error → 400 GRAPHQL_PARSE_FAILED', async () => {
    const { status, body } = await stack.query('{ products(first: ) }');
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('a query with too many tokens is refused before it runs → 400 GRAPHQL_PARSE_FAILED', async () => {
    const fields = Array.from({ length: 3_000 }, (_, i) => `a${i}: products(first: 1) { edges { cursor } }`).join(' ');
    const { status, body } = await stack.query(`{ ${fields} }`);
    expect(status).toBe(400);
    expect(codeOf(body)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('a body over the size limit → 413 PAYLOAD_TOO_LARGE', async () => {
    const { status, body } = await stack.query(`{ products { edges { cursor } } } # ${'x'.repeat(1_100_000)}`);
    expect(status).toBe(413);
    expect(codeOf(body)).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['a page size over the maximum', '{ products(first: 1000) { edges { cursor } } }', 'first'],
    ['a cursor the API never issued', '{ products(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }', 'after'],
    ['an id that is not a UUID', '{ product(id: "42") { name } }', 'id'],
    ['both id and sku', '{ product(id: "42", sku: "SKU-000001") { name } }', undefined],
  ])('%s → BAD_USER_INPUT naming the argument', async (_case, query, argument) => {
    const { status, body } = await stack.query(query);
    expect(status).toBe(200);
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.extensions?.argument).toBe(argument);
  });

  it('an unknown route → 404 with a code', async () => {
    const response = await fetch(stack.routerUrl.replace('/graphql', '/nope'));
    expect(response.status).toBe(404);
    expect(codeOf((await response.json()) as { errors: [] })).toBe('NOT_FOUND');
  });
});

describe('operability', () => {
  it('echoes a caller-supplied request id and makes one up otherwise', async () => {
    const withId = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-123' }, body: '{"query":"{ __typename }"}' });
    expect(withId.headers.get('x-request-id')).toBe('trace-me-123');
    const without = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(without.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports router health and each subgraph readiness', async () => {
    expect((await fetch(stack.routerUrl.replace('/graphql', '/health'))).status).toBe(200);
    for (const subgraph of Object.values(stack.subgraphs)) {
      expect((await fetch(subgraph.url.replace('/graphql', '/ready'))).status).toBe(200);
    }
  });
});
