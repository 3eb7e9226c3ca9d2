import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { GraphQLError, parse } from 'graphql';
import { startRouter, type RunningRouter } from '../router.ts';
import { readMultipart } from '../../../tests/support/multipart.ts';
import { testRouterConfig } from '../test-config.ts';

/*
 * @defer through the router over real HTTP: the multipart stream as Apollo Client reads it, parts arriving as
 * their fetches finish, errors staying in their part, and one ordinary response when deferring is off or the
 * client cannot take multipart.
 */

const silent = createLogger({ service: 'defer-test', level: 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])';
const PRODUCTS = [
  { id: 'p1', name: 'Kettle' },
  { id: 'p2', name: 'Teapot' },
];

const CATALOG = `${LINK}
  type Query { product(id: ID!): Product products: [Product!]! }
  type Product @key(fields: "id") { id: ID! name: String! }`;
const REVIEWS = `${LINK}
  type Product @key(fields: "id") { id: ID! reviews(delayMs: Int = 0): [Review!]! secretNote: String @authenticated secretCode: String! @authenticated }
  type Review { body: String! }`;
const SHIPPING = `${LINK}
  type Product @key(fields: "id") { id: ID! shippingEstimate(country: String!): Int }`;

const servers: ApolloServer[] = [];
let router: RunningRouter;
let workdir: string;

async function serve(sdl: string, resolvers: Record<string, unknown>): Promise<string> {
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  servers.push(server);
  return (await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })).url;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const catalogUrl = await serve(CATALOG, {
      Query: { product: (_: unknown, { id }: { id: string }) => PRODUCTS.find((product) => product.id === id), products: () => PRODUCTS },
    Product: { __resolveReference: ({ id }: { id: string }) => PRODUCTS.find((product) => product.id === id) },
  });
  const reviewsUrl = await serve(REVIEWS, {
      Product: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        reviews: async ({ id }: { id: string }, { delayMs }: { delayMs: number }) => {
          await sleep(delayMs);
          return [{ body: `good ${id}` }];
        },
        secretNote: ({ id }: { id: string }) => `note ${id}`,
        secretCode: ({ id }: { id: string }) => `code ${id}`,
      },
  });
  const shippingUrl = await serve(SHIPPING, {
      Product: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        shippingEstimate: (_: unknown, { country }: { country: string }) => {
          if (country === 'XX') throw new GraphQLError('no shipping to XX', { extensions: { code: 'BAD_USER_INPUT' } });
          return country.length * 100;
        },
      },
  });
  const composed = compose([
    { name: 'catalog', url: catalogUrl, sdl: CATALOG },
    { name: 'reviews', url: reviewsUrl, sdl: REVIEWS },
    { name: 'shipping', url: shippingUrl, sdl: SHIPPING },
  ]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  workdir = await mkdtemp(path.join(tmpdir(), 'defer-'));
  const supergraphPath = path.join(workdir, 'supergraph.graphql');
  await writeFile(supergraphPath, composed.supergraphSdl);
  router = await startRouter(testRouterConfig(supergraphPath), silent);
  while (!router.isLoaded()) await sleep(20);
});

afterAll(async () => {
  await router?.close();
  await Promise.all(servers.map((server) => server.stop()));
  await rm(workdir, { recursive: true, force: true });
});

const MULTIPART = 'multipart/mixed;deferSpec=20220824, application/json';

const readParts = readMultipart;

async function post(query: string, variables: Record<string, unknown> = {}, accept = MULTIPART): Promise<Response> {
  return fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, variables }) });
}

it('streams the deferred part after the initial payload, as multipart/mixed with deferSpec=20220824', async () => {
  const response = await post('{ product(id: "p1") { name ... @defer(label: "reviews") { reviews { body } } } }');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary="-"; deferSpec=20220824/);
  const parts = (await readParts(response)).map(({ payload }) => payload);
  expect(parts).toEqual([
    { data: { product: { name: 'Kettle' } }, hasNext: true },
    { incremental: [{ data: { reviews: [{ body: 'good p1' }] }, path: ['product'], label: 'reviews' }], hasNext: false },
  ]);
});

it('sends each deferred part as soon as its own fetches are done, not in document order', async () => {
  const response = await post(`{ product(id: "p1") {
      name
      ... @defer(label: "slow") { reviews(delayMs: 400) { body } }
      ... @defer(label: "fast") { shippingEstimate(country: "DE") }
    } }`);
  const parts = await readParts(response);
  expect(parts.map(({ payload }) => payload.incremental?.[0]?.label ?? 'initial')).toEqual(['initial', 'fast', 'slow']);
  expect(parts[1]?.payload).toEqual({ incremental: [{ data: { shippingEstimate: 200 }, path: ['product'], label: 'fast' }], hasNext: true });
  // The fast part did not wait for the slow one.
  expect((parts[2]?.atMs ?? 0) - (parts[1]?.atMs ?? 0)).toBeGreaterThanOrEqual(200);
});

it('keeps a deferred part’s error inside that part', async () => {
  const parts = (await readParts(await post('{ product(id: "p2") { name ... @defer { shippingEstimate(country: "XX") } } }'))).map(({ payload }) => payload);
  expect(parts[0]).toEqual({ data: { product: { name: 'Teapot' } }, hasNext: true });
  expect(parts[1]?.hasNext).toBe(false);
  const item = parts[1]?.incremental?.[0];
  expect(item?.data).toEqual({ shippingEstimate: null });
  expect(item?.path).toEqual(['product']);
  expect(item?.errors).toEqual([expect.objectContaining({ path: ['product', 'shippingEstimate'], extensions: expect.objectContaining({ serviceName: 'shipping', code: 'BAD_USER_INPUT' }) })]);
});

it('delivers a deferred fragment in a list once per item, at each item’s path, and nested defers after their parent', async () => {
  const parts = (await readParts(await post(`{ products { name ... @defer(label: "outer") { reviews { body } ... @defer(label: "inner") { shippingEstimate(country: "FR") } } } }`))).map(
    ({ payload }) => payload,
  );
  expect(parts[0]).toEqual({ data: { products: [{ name: 'Kettle' }, { name: 'Teapot' }] }, hasNext: true });
  const items = parts.slice(1).flatMap((part) => part.incremental ?? []);
  expect(items).toEqual(
    expect.arrayContaining([
      { data: { reviews: [{ body: 'good p1' }] }, path: ['products', 0], label: 'outer' },
      { data: { reviews: [{ body: 'good p2' }] }, path: ['products', 1], label: 'outer' },
      { data: { shippingEstimate: 200 }, path: ['products', 0], label: 'inner' },
      { data: { shippingEstimate: 200 }, path: ['products', 1], label: 'inner' },
    ]),
  );
  expect(items).toHaveLength(4);
  const labels = parts.slice(1).map((part) => part.incremental?.[0]?.label);
  expect(labels.indexOf('outer')).toBeLessThan(labels.indexOf('inner'));
  expect(parts.at(-1)?.hasNext).toBe(false);
});

it('answers one ordinary response for @defer(if: false) and for clients that do not accept multipart', async () => {
  const query = 'query ($defer: Boolean!) { product(id: "p1") { name ... @defer(if: $defer) { reviews { body } } } }';
  const expected = { data: { product: { name: 'Kettle', reviews: [{ body: 'good p1' }] } } };
  const off = await post(query, { defer: false });
  expect(off.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await off.json()).toEqual(expected);
  const plainClient = await post(query, { defer: true }, 'application/json');
  expect(plainClient.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await plainClient.json()).toEqual(expected);
  const streamed = (await readParts(await post(query, { defer: true }))).map(({ payload }) => payload);
  expect(streamed).toHaveLength(2);
});

it('applies authorization to deferred selections: a withheld field is never fetched, and is null with UNAUTHORIZED in its own part', async () => {
  const parts = (await readParts(await post('{ product(id: "p1") { name ... @defer { secretNote reviews { body } } } }'))).map(({ payload }) => payload);
  expect(JSON.stringify(parts)).not.toContain('note p1');
  // Nothing of the deferred fragment is in the initial payload, the withheld field included.
  expect(parts[0]).toMatchObject({ data: { product: { name: 'Kettle' } }, hasNext: true });
  expect(parts[0]?.errors).toBeUndefined();
  expect(parts.slice(1).flatMap((part) => part.incremental ?? [])).toEqual([
    {
      data: { secretNote: null, reviews: [{ body: 'good p1' }] },
      path: ['product'],
      errors: [expect.objectContaining({ path: ['product', 'secretNote'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED' }) })],
    },
  ]);
});

it('a withheld non-null field nulls only the deferred part it is in, never the object the initial payload already sent', async () => {
  const parts = (await readParts(await post('{ product(id: "p1") { name ... @defer(label: "secret") { secretCode reviews { body } } } }'))).map(({ payload }) => payload);
  expect(parts[0]).toMatchObject({ data: { product: { name: 'Kettle' } } });
  expect(parts.slice(1).flatMap((part) => part.incremental ?? [])).toEqual([
    {
      data: null,
      path: ['product'],
      label: 'secret',
      errors: [expect.objectContaining({ path: ['product', 'secretCode'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED' }) })],
    },
  ]);
});
