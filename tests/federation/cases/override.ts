import { link, type CaseGroup } from '../case.ts';

/* @override: a field moved from one subgraph to another; only the overriding subgraph resolves it. */

const byTypename = { __resolveType: ({ __typename }: { __typename: string }) => __typename };
const PRODUCTS = [
  { id: '1', name: 'Table', weight: 20 },
  { id: '2', name: 'Lamp', weight: 2 },
];

export const override: CaseGroup = {
  feature: '@override',
  cases: [
    {
      name: 'override-simple',
      description: 'A field both subgraphs still define: the overriding subgraph\'s value is the answer, from either root.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Query { products: [Product!]! }
            type Product @key(fields: "id") { id: ID! name: String! inStock: Boolean! }`,
          resolvers: {
            Query: { products: () => PRODUCTS },
            // The old answer, left behind by the move: never the one to use.
            Product: { inStock: () => true, __resolveReference: ({ id }: { id: string }) => PRODUCTS.find((product) => product.id === id) },
          },
        },
        {
          name: 'inventory',
          typeDefs: `${link('key', 'override')}
            type Query { restocks: [Product!]! }
            type Product @key(fields: "id") { id: ID! inStock: Boolean! @override(from: "catalog") }`,
          resolvers: { Query: { restocks: () => [{ id: '2' }] }, Product: { inStock: ({ id }: { id: string }) => id === '1' } },
        },
      ],
      operations: [
        {
          name: 'from the subgraph the field left',
          query: '{ products { name inStock } }',
          expected: { data: { products: [{ name: 'Table', inStock: true }, { name: 'Lamp', inStock: false }] } },
        },
        {
          name: 'from the subgraph the field moved to',
          query: '{ restocks { inStock name } }',
          expected: { data: { restocks: [{ inStock: false, name: 'Lamp' }] } },
        },
      ],
    },
    {
      name: 'override-with-requires',
      description: 'An overriding field with a @requires: the required field comes from the subgraph the field left.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Query { products: [Product!]! }
            type Product @key(fields: "id") { id: ID! name: String! weight: Int! shippingCost: Int! }`,
          resolvers: { Query: { products: () => PRODUCTS }, Product: { shippingCost: () => -1 } },
        },
        {
          name: 'shipping',
          typeDefs: `${link('key', 'override', 'external', 'requires')}
            type Product @key(fields: "id") { id: ID! weight: Int! @external shippingCost: Int! @override(from: "catalog") @requires(fields: "weight") }`,
          resolvers: { Product: { shippingCost: ({ weight }: { weight: number }) => weight * 3 } },
        },
      ],
      operations: [
        {
          name: 'the overriding subgraph computes it',
          query: '{ products { name shippingCost } }',
          expected: { data: { products: [{ name: 'Table', shippingCost: 60 }, { name: 'Lamp', shippingCost: 6 }] } },
        },
      ],
    },
    {
      name: 'override-on-interface-implementation',
      description: 'An interface field whose value for one implementation was moved to another subgraph by @override: selected on the interface, each implementation answers from its own subgraph.',
      subgraphs: [
        {
          name: 'cms',
          typeDefs: `${link('key')}
            type Query { contents: [Content!]! }
            interface Content { id: ID! title: String! }
            type Post implements Content @key(fields: "id") { id: ID! title: String! }
            type Page implements Content @key(fields: "id") { id: ID! title: String! }`,
          resolvers: {
            Query: {
              contents: () => [
                { __typename: 'Post', id: 'post1', title: 'stale post title' },
                { __typename: 'Page', id: 'page1', title: 'About' },
              ],
            },
            Content: byTypename,
          },
        },
        {
          name: 'blog',
          typeDefs: `${link('key', 'override')}
            type Post @key(fields: "id") { id: ID! title: String! @override(from: "cms") }`,
          resolvers: { Post: { title: ({ id }: { id: string }) => `Post ${id}` } },
        },
      ],
      operations: [
        {
          name: 'the interface field',
          query: '{ contents { __typename title } }',
          expected: { data: { contents: [{ __typename: 'Post', title: 'Post post1' }, { __typename: 'Page', title: 'About' }] } },
        },
        {
          name: 'the field under a type condition',
          query: '{ contents { id ... on Post { title } } }',
          expected: { data: { contents: [{ id: 'post1', title: 'Post post1' }, { id: 'page1' }] } },
        },
      ],
    },
    {
      name: 'override-from-missing-subgraph',
      description: '@override naming a subgraph that is not in the supergraph (already removed): composition hints, and the overriding subgraph resolves the field.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Query { products: [Product!]! }
            type Product @key(fields: "id") { id: ID! name: String! }`,
          resolvers: { Query: { products: () => PRODUCTS } },
        },
        {
          name: 'pricing',
          typeDefs: `${link('key', 'override')}
            type Product @key(fields: "id") { id: ID! price: Int! @override(from: "legacy") }`,
          resolvers: { Product: { price: ({ id }: { id: string }) => (id === '1' ? 100 : 15) } },
        },
      ],
      operations: [
        {
          name: 'the field resolves from the overriding subgraph',
          query: '{ products { name price } }',
          expected: { data: { products: [{ name: 'Table', price: 100 }, { name: 'Lamp', price: 15 }] } },
        },
      ],
    },
  ],
};
