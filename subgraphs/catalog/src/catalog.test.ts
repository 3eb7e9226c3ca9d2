import { fileURLToPath } from 'node:url';
import { nameBasedUuid } from '@storefront/api-conventions';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { SeedNamespace, seedProduct, type SeedPlan } from '@storefront/seed-world';
import { startTestSubgraph, type TestSubgraph } from '@storefront/testing';
import { start } from './index.ts';

const PLAN: SeedPlan = { users: 10, categories: 4, products: 80, warehouses: 2, orders: 0, wishlistItemsPerUser: 0 };
const admin: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 0), ['ADMIN', 'CUSTOMER']);
const customer: Viewer = viewerWithRoles(nameBasedUuid(SeedNamespace.user, 1), ['CUSTOMER']);

let catalog: TestSubgraph;
beforeAll(async () => {
  catalog = await startTestSubgraph(fileURLToPath(new URL('..', import.meta.url)), start, PLAN);
});
afterAll(() => catalog?.close());

type Page = { edges: Array<{ node: { id: string; name: string; price: { amount: number } } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

type ProductNode = { id: string; name: string; price: { amount: number } };

async function allPages(args: string): Promise<ProductNode[]> {
  const nodes: ProductNode[] = [];
  let after: string | null = null;
  for (;;) {
    const { body }: { body: { data?: { products: Page } | null; errors?: unknown[] } } = await catalog.query<{ products: Page }>(
      `query ($after: String) { products(first: 25, after: $after, ${args}) { edges { node { id name price { amount } } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    expect(body.errors).toBeUndefined();
    const page: Page = body.data!.products;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

describe('searching and sorting products', () => {
  it('pages by price, ascending and descending, through every product exactly once', async () => {
    const ascending = await allPages('orderBy: PRICE_ASC');
    expect(ascending).toHaveLength(PLAN.products);
    expect(new Set(ascending.map((p) => p.id)).size).toBe(PLAN.products);
    const prices = ascending.map((p) => p.price.amount);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const descending = await allPages('orderBy: PRICE_DESC');
    expect(descending.map((p) => p.price.amount)).toEqual([...prices].reverse());
  });

  it('filters by price range and category together', async () => {
    const categoryId = nameBasedUuid(SeedNamespace.category, 1);
    const found = await allPages(`filter: { categoryId: "${categoryId}", minPrice: 1000, maxPrice: 20000 }, orderBy: NAME_ASC`);
    const expected = Array.from({ length: PLAN.products }, (_, i) => seedProduct(i, PLAN)).filter(
      (p) => p.categoryIndex === 1 && p.priceCents >= 1000 && p.priceCents <= 20000,
    );
    expect(found.map((p) => p.id).sort()).toEqual(expected.map((p) => p.id).sort());
    const names = found.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('finds products by a case-insensitive part of the name or the SKU', async () => {
    const bySku = await allPages('filter: { search: "sku-00001" }');
    expect(bySku.map((p) => p.id).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => nameBasedUuid(SeedNamespace.product, 9 + i)).sort(),
    );
    const [first] = await allPages('orderBy: NAME_ASC');
    const word = first!.name.split(' ')[0]!.toUpperCase();
    const byName = await allPages(`filter: { search: "${word}" }`);
    expect(byName.length).toBeGreaterThan(0);
    for (const product of byName) expect(product.name.toUpperCase()).toContain(word);
  });

  it('refuses a cursor from another ordering and an inverted price range', async () => {
    const { body } = await catalog.query<{ products: Page }>('{ products(first: 2, orderBy: PRICE_ASC) { pageInfo { endCursor } } }');
    const cursor = body.data!.products.pageInfo.endCursor;
    const mixed = await catalog.query('query ($c: String) { products(after: $c, orderBy: NEWEST) { edges { cursor } } }', { c: cursor });
    expect(mixed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const inverted = await catalog.query('{ products(filter: { minPrice: 500, maxPrice: 100 }) { edges { cursor } } }');
    expect(inverted.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.maxPrice' });
  });
});

describe('admin product mutations', () => {
  const create = (input: Record<string, unknown>, viewer?: Viewer) =>
    catalog.query<{ createProduct: { product: { id: string; sku: string; price: { amount: number } } | null; errors: Array<{ path: string[]; code: string }> } }>(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { id sku price { amount } } errors { path code } } }',
      { input },
      viewer,
    );
  const valid = { sku: 'NEW-0001', name: 'Field kettle', priceAmount: 3999, categoryId: nameBasedUuid(SeedNamespace.category, 0), weightGrams: 800 };

  it('creates a product, then refuses the same SKU again', async () => {
    const first = await create(valid, admin);
    expect(first.body.data!.createProduct).toEqual({ product: { id: expect.any(String), sku: 'NEW-0001', price: { amount: 3999 } }, errors: [] });
    const again = await create(valid, admin);
    expect(again.body.data!.createProduct).toEqual({ product: null, errors: [{ path: ['input', 'sku'], code: 'ALREADY_EXISTS' }] });
  });

  it('reports every invalid field at once, with codes', async () => {
    const { body } = await create({ ...valid, sku: 'x', name: ' ', priceAmount: -1, categoryId: nameBasedUuid('nope', 1) }, admin);
    expect(body.data!.createProduct.errors).toEqual(
      expect.arrayContaining([
        { path: ['input', 'sku'], code: 'INVALID' },
        { path: ['input', 'name'], code: 'TOO_SHORT' },
        { path: ['input', 'priceAmount'], code: 'TOO_SMALL' },
      ]),
    );
    const unknownCategory = await create({ ...valid, sku: 'NEW-0002', categoryId: nameBasedUuid('nope', 1) }, admin);
    expect(unknownCategory.body.data!.createProduct.errors).toEqual([{ path: ['input', 'categoryId'], code: 'NOT_FOUND' }]);
  });

  it('lets only admins change the catalog', async () => {
    expect((await create(valid)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await create(valid, customer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('updates only the given fields', async () => {
    const id = nameBasedUuid(SeedNamespace.product, 3);
    const { body } = await catalog.query<{ updateProduct: { product: { price: { amount: number }; sku: string }; errors: unknown[] } }>(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { priceAmount: 1234 }) { product { sku price { amount } } errors { code } } }',
      { id },
      admin,
    );
    expect(body.data!.updateProduct).toEqual({ product: { sku: 'SKU-000004', price: { amount: 1234 } }, errors: [] });
    const missing = await catalog.query<{ updateProduct: { errors: Array<{ code: string }> } }>(
      `mutation { updateProduct(id: "${nameBasedUuid('nope', 2)}", input: { name: "x" }) { errors { code } } }`,
      {},
      admin,
    );
    expect(missing.body.data!.updateProduct.errors).toEqual([{ code: 'NOT_FOUND' }]);
  });
});

describe('Purchasable as an entity interface', () => {
  const entities = (ids: string[]) =>
    catalog.query<{ _entities: Array<{ __typename: string; id: string; name: string } | null> }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Purchasable { __typename id name price { amount } } } }',
      { r: ids.map((id) => ({ __typename: 'Purchasable', id })) },
    );

  it('resolves @interfaceObject references to the concrete kind', async () => {
    const product = nameBasedUuid(SeedNamespace.product, 0);
    const card = nameBasedUuid(SeedNamespace.giftCard, 1);
    const { body } = await entities([product, card, nameBasedUuid('nope', 3), 'not-a-uuid']);
    expect(body.data!._entities).toEqual([
      expect.objectContaining({ __typename: 'Product', id: product }),
      expect.objectContaining({ __typename: 'GiftCard', id: card, name: 'Gift card €50' }),
      null,
      null,
    ]);
  });

  it('costs the same statements for 1 or 50 references', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => nameBasedUuid(SeedNamespace.product, i));
    const one = await catalog.countQueries(() => entities(ids(1)));
    const fifty = await catalog.countQueries(() => entities(ids(50)));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
  });
});

describe('hostile text in search and in product fields', () => {
  type Payload = { createProduct: { product: { id: string; name: string; description: string } | null; errors: Array<{ path: string[]; code: string }> } };
  const create = (input: Record<string, unknown>) =>
    catalog.query<Payload>(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { id name description } errors { path code } } }',
      { input },
      admin,
    );
  const product = (sku: string, name: string, description = '') => ({
    sku,
    name,
    description,
    priceAmount: 1500,
    categoryId: nameBasedUuid(SeedNamespace.category, 0),
    weightGrams: 300,
  });
  const search = (text: string) =>
    catalog.query<{ products: Page }>('query ($s: String) { products(first: 100, filter: { search: $s }) { edges { node { id name } } } }', { s: text });

  let percent: string;
  let underscore: string;
  let backslash: string;
  beforeAll(async () => {
    const made = await Promise.all([
      create(product('HOSTILE-001', 'Wool socks, 100% merino')),
      create(product('HOSTILE-002', 'Mug snake_case edition')),
      create(product('HOSTILE-003', 'Poster C:\\ drive')),
    ]);
    [percent, underscore, backslash] = made.map(({ body }) => body.data!.createProduct.product!.id) as [string, string, string];
  });

  it('matches %, _ and \\ literally, not as LIKE wildcards', async () => {
    const ids = async (text: string) => ((await search(text)).body.data?.products.edges ?? []).map((edge) => edge.node.id);
    expect(await ids('%')).toEqual([percent]);
    expect(await ids('0% m')).toEqual([percent]);
    expect(await ids('_')).toEqual([underscore]);
    expect(await ids('e_c')).toEqual([underscore]);
    expect(await ids('\\')).toEqual([backslash]);
  });

  it('answers a search with NUL or another control character as BAD_USER_INPUT, not a 500', async () => {
    for (const text of ['socks\u0000', '\u0000', 'mug\u0007', 'mug\u009b']) {
      const { body } = await search(text);
      expect([text, body.errors?.[0]?.extensions?.code]).toEqual([text, 'BAD_USER_INPUT']);
      // `products` is nullable (README, "Nullability across subgraphs"): refused, it is null beside the error.
      expect(body.data?.products ?? null).toBeNull();
    }
    const literal = await catalog.query('{ products(filter: { search: "a\\u0000b" }) { edges { cursor } } }');
    expect(literal.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers a lookup or a cursor with NUL as BAD_USER_INPUT, not a 500', async () => {
    const bySku = await catalog.query('query ($sku: String) { product(sku: $sku) { id } }', { sku: 'SKU\u0000' });
    expect(bySku.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const bySlug = await catalog.query('query ($slug: String) { category(slug: $slug) { id } }', { slug: '\u0000' });
    expect(bySlug.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = Buffer.from(JSON.stringify({ order: 'NAME_ASC', name: 'a\u0000', id: nameBasedUuid(SeedNamespace.product, 0) })).toString('base64url');
    const paged = await catalog.query('query ($after: String) { products(after: $after, orderBy: NAME_ASC) { edges { cursor } } }', { after: cursor });
    expect(paged.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('refuses control characters in product fields as INVALID_CHARACTERS; a description may have line breaks and tabs', async () => {
    const refused = await create(product('HOSTILE-004', 'Kettle\u0000', 'fine'));
    expect(refused.body.data!.createProduct).toEqual({ product: null, errors: [{ path: ['input', 'name'], code: 'INVALID_CHARACTERS' }] });
    const lineBreak = await create(product('HOSTILE-005', 'Kettle\nlid', 'fine'));
    expect(lineBreak.body.data!.createProduct.errors).toEqual([{ path: ['input', 'name'], code: 'INVALID_CHARACTERS' }]);
    const badDescription = await create(product('HOSTILE-006', 'Kettle', 'Boils\u0000fast'));
    expect(badDescription.body.data!.createProduct.errors).toEqual([{ path: ['input', 'description'], code: 'INVALID_CHARACTERS' }]);
    const multiLine = await create(product('HOSTILE-007', 'Kettle', 'Boils fast.\r\n\tSteel lid.'));
    expect(multiLine.body.data!.createProduct).toMatchObject({ product: { name: 'Kettle', description: 'Boils fast.\r\n\tSteel lid.' }, errors: [] });
    const update = await catalog.query<{ updateProduct: { errors: Array<{ path: string[]; code: string }> } }>(
      'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { errors { path code } } }',
      { id: percent, input: { name: 'Socks\u001b[31m' } },
      admin,
    );
    expect(update.body.data!.updateProduct.errors).toEqual([{ path: ['input', 'name'], code: 'INVALID_CHARACTERS' }]);
  });
});
