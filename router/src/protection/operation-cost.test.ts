import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { compose } from '@storefront/schema';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { getIntrospectionQuery, Kind, parse, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { costMetadataOf, type CostMetadata } from './cost-directives.ts';
import { estimateOperationCost, operationDepth } from './operation-cost.ts';

/*
 * The estimate on small supergraphs whose costs are worked out by hand, on a foreign supergraph with no cost
 * directives, and on the store's own supergraph with the storefront's queries.
 */

interface Graph {
  schema: GraphQLSchema;
  metadata: CostMetadata;
}

function graphOf(supergraphSdl: string): Graph {
  return { schema: Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema(), metadata: costMetadataOf(supergraphSdl) };
}

function composed(...subgraphs: Array<{ name: string; sdl: string }>): Graph {
  const result = compose(subgraphs.map((s) => ({ ...s, url: `http://${s.name}.example/graphql` })));
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return graphOf(result.supergraphSdl);
}

function split(query: string): { operation: OperationDefinitionNode; fragments: Record<string, FragmentDefinitionNode> } {
  const document = parse(query);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition;
  }
  if (!operation) throw new Error('no operation');
  return { operation, fragments };
}

const cost = (graph: Graph, query: string, variables: Record<string, unknown> = {}, defaultListSize = 10) => {
  const { operation, fragments } = split(query);
  return estimateOperationCost(graph.schema, operation, fragments, variables, graph.metadata, { defaultListSize });
};
const depth = (query: string) => {
  const { operation, fragments } = split(query);
  return operationDepth(operation, fragments);
};

const SHOP = composed({
  name: 'shop',
  sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
    type Query {
      items(first: Int = 20, after: String): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)
      top(limit: Int): [Item!]! @listSize(slicingArguments: ["limit"], assumedSize: 4, requireOneSlicingArgument: false)
      featured: [Item!]! @listSize(assumedSize: 3)
      tags: [String!]!
      search(text: String! @cost(weight: 7)): [Item!]!
      media: [Media!]! @listSize(assumedSize: 2)
    }
    type Mutation { buy(id: ID!): Item }
    type ItemConnection { edges: [ItemEdge!]! pageInfo: PageInfo! }
    type PageInfo { hasNextPage: Boolean! }
    type ItemEdge { node: Item! }
    type Item @key(fields: "id") { id: ID! name: String! price: Money! stock: Int! @cost(weight: 3) }
    type Money @cost(weight: 2) { amount: Int! }
    union Media = Photo | Video
    type Photo { url: String! sizes: [Int!]! thumbnail: Item }
    type Video @cost(weight: 5) { url: String! frames: [Frame!]! @listSize(assumedSize: 100) }
    type Frame { at: Int! }`,
});

describe('the cost of an operation', () => {
  it('charges 1 per object, 0 per scalar, and @cost weights instead where given', () => {
    // featured: 3 × (Item 1 + price: Money 2 + stock 3)
    expect(cost(SHOP, '{ featured { id name price { amount } stock } }')).toBe(3 * (1 + 2 + 3));
    expect(cost(SHOP, '{ tags }')).toBe(0);
  });

  it('multiplies connections by `first` through sizedFields, from literals, variables and argument defaults', () => {
    // items 1 + edges 5 × (edge 1 + node 1) + pageInfo 1
    expect(cost(SHOP, '{ items(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }')).toBe(1 + 5 * 2 + 1);
    expect(cost(SHOP, 'query ($n: Int) { items(first: $n) { edges { node { id } } } }', { n: 50 })).toBe(1 + 50 * 2);
    expect(cost(SHOP, '{ items { edges { node { id } } } }')).toBe(1 + 20 * 2);
  });

  it('uses a slicing argument when given, else assumedSize, else the default list size', () => {
    expect(cost(SHOP, '{ top(limit: 9) { id } }')).toBe(9);
    expect(cost(SHOP, '{ top { id } }')).toBe(4);
    expect(cost(SHOP, '{ search(text: "x") { id } }', {}, 25)).toBe(7 + 25);
  });

  it('resolves fragments and aliases, merges repeated fields, and honours @skip / @include', () => {
    const viaFragments = `query { ...Q } fragment Q on Query { featured { ...F } } fragment F on Item { price { amount } }`;
    expect(cost(SHOP, viaFragments)).toBe(3 * (1 + 2));
    expect(cost(SHOP, '{ a: featured { id } b: featured { id } }')).toBe(2 * 3);
    expect(cost(SHOP, '{ featured { id } featured { price { amount } } }')).toBe(3 * (1 + 2));
    expect(cost(SHOP, 'query ($no: Boolean!) { featured { price @include(if: $no) { amount } } }', { no: false })).toBe(3);
    expect(cost(SHOP, 'query ($yes: Boolean!) { featured { price @skip(if: $yes) { amount } } }', { yes: true })).toBe(3);
  });

  it('charges an abstract type its most expensive possible type', () => {
    // Photo: 1 + thumbnail 1 = 2; Video: 5 + frames 100 × 1 = 105; two assumed media.
    expect(cost(SHOP, '{ media { ... on Photo { url thumbnail { id } } ... on Video { frames { at } } } }')).toBe(2 * 105);
    expect(cost(SHOP, '{ media { ... on Photo { thumbnail { id } } } }')).toBe(2 * 5);
  });

  it('charges root mutation fields 10', () => {
    expect(cost(SHOP, 'mutation { buy(id: "1") { id } }')).toBe(10);
  });

  it('ignores introspection fields', () => {
    expect(cost(SHOP, '{ __typename __schema { types { name fields { name } } } }')).toBe(0);
  });

  it('works on a supergraph without any cost directives: every list assumes the default size', () => {
    const foreign = composed({
      name: 'planets',
      sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
        type Query { planets: [Planet!]! }
        type Planet @key(fields: "id") { id: ID! moons: [Moon!]! }
        type Moon { name: String! }`,
    });
    expect(foreign.metadata.listSizes.size).toBe(0);
    expect(cost(foreign, '{ planets { id moons { name } } }', {}, 10)).toBe(10 * (1 + 10));
  });
});

describe('the depth of an operation', () => {
  it('counts nested fields through fragments', () => {
    expect(depth('{ a }')).toBe(1);
    expect(depth('{ a { b { c } } d }')).toBe(3);
    expect(depth('query { a { ...F } } fragment F on A { b { ... on B { c { d } } } }')).toBe(4);
  });

  it('lets the standard introspection query through the default limit of 15', () => {
    expect(depth(getIntrospectionQuery())).toBeLessThanOrEqual(15);
  });
});

describe("the store's supergraph", () => {
  const STORE = graphOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));

  it('reads @listSize on every connection and @cost on the costly fields', () => {
    expect(STORE.metadata.listSizes.get('Query.products')).toMatchObject({ slicingArguments: ['first'], sizedFields: ['edges'] });
    expect(STORE.metadata.listSizes.get('User.orders')).toMatchObject({ slicingArguments: ['first'], sizedFields: ['edges'] });
    expect(STORE.metadata.fieldWeights.get('ProductFilter.search')).toBe(5);
  });

  it('keeps the storefront queries well under the default limit, and refuses page-of-pages queries', () => {
    const productPage = cost(
      STORE,
      `query ProductPage($id: ID!) { product(id: $id) {
        name sku description price { amount currency } category { name } inStock stock { available }
        shippingEstimate(country: "FR") { cost { amount currency } carrier minDays maxDays }
        averageRating reviewCount reviews(first: 5) { edges { node { rating title author { name } createdAt } } } } }`,
      { id: 'x' },
    );
    const orderHistory = cost(
      STORE,
      `{ me { name orders(first: 10) { edges { node { number status placedAt total { amount currency } payment { status }
        items(first: 10) { edges { node { quantity unitPrice { amount } purchasable { __typename name ... on Product { sku } } } } } } }
        pageInfo { hasNextPage endCursor } } } }`,
    );
    expect(productPage).toBeLessThan(50);
    expect(orderHistory).toBeGreaterThan(100);
    expect(orderHistory).toBeLessThan(1_000);
    expect(cost(STORE, '{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { title } } } } } } }')).toBeGreaterThan(5_000);
  });
});
