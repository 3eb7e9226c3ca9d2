import { link, type CaseGroup } from '../case.ts';

/* @inaccessible: parts of the supergraph that clients can neither see nor use, while subgraphs still can. */

const PRODUCTS = [
  { upc: 'p1', name: 'Table', cost: 60, status: 'ACTIVE' },
  { upc: 'p2', name: 'Couch', cost: 300, status: 'ACTIVE' },
];
const VALIDATION = [{ code: 'GRAPHQL_VALIDATION_FAILED' }];

export const inaccessible: CaseGroup = {
  feature: '@inaccessible',
  cases: [
    {
      name: 'inaccessible-fields-arguments-types',
      description: 'An inaccessible field, argument, enum value and type: refused when a client names them, invisible to introspection, still usable by @requires.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `${link('key', 'inaccessible', 'shareable')}
            type Query { products(includeDiscontinued: Boolean @inaccessible): [Product!]! discontinued: Product }
            type Product @key(fields: "upc") { upc: String! name: String! cost: Int! @inaccessible status: Status secret: Secret @inaccessible }
            enum Status { ACTIVE DISCONTINUED @inaccessible }
            type Secret @inaccessible { code: String! }`,
          resolvers: {
            Query: { products: () => PRODUCTS, discontinued: () => ({ upc: 'p9', name: 'Stool', cost: 5, status: 'DISCONTINUED' }) },
            Product: { __resolveReference: ({ upc }: { upc: string }) => PRODUCTS.find((product) => product.upc === upc) },
          },
        },
        {
          name: 'pricing',
          typeDefs: `${link('key', 'inaccessible', 'external', 'requires')}
            type Product @key(fields: "upc") { upc: String! cost: Int! @external margin: Int! @requires(fields: "cost") }`,
          resolvers: { Product: { margin: ({ cost }: { cost: number }) => Math.round(cost / 2) } },
        },
      ],
      operations: [
        {
          name: 'a @requires over an inaccessible field',
          query: '{ products { name margin } }',
          expected: { data: { products: [{ name: 'Table', margin: 30 }, { name: 'Couch', margin: 150 }] } },
        },
        {
          name: 'selecting the inaccessible field',
          query: '{ products { name cost } }',
          expected: { data: undefined, errors: VALIDATION },
          calls: { products: 0, pricing: 0 },
        },
        {
          name: 'passing the inaccessible argument',
          query: '{ products(includeDiscontinued: true) { name } }',
          expected: { data: undefined, errors: VALIDATION },
        },
        {
          name: 'passing the inaccessible type in a fragment',
          query: '{ products { ... on Secret { code } } }',
          expected: { data: undefined, errors: VALIDATION },
        },
        {
          name: 'introspection leaves them out',
          query: '{ product: __type(name: "Product") { fields { name } } status: __type(name: "Status") { enumValues { name } } secret: __type(name: "Secret") { name } }',
          expected: {
            data: {
              // In the supergraph's order: composition merges subgraphs by name (pricing, then products).
              product: { fields: [{ name: 'upc' }, { name: 'margin' }, { name: 'name' }, { name: 'status' }] },
              status: { enumValues: [{ name: 'ACTIVE' }] },
              secret: null,
            },
          },
        },
        {
          name: 'a subgraph answers an inaccessible enum value',
          query: '{ discontinued { name status } }',
          expected: { data: { discontinued: { name: 'Stool', status: null } }, errors: [{ path: ['discontinued', 'status'] }] },
          gatewayDiffers: '@apollo/gateway turns the enum value its API schema does not have into a null without any error',
        },
      ],
    },
    {
      name: 'inaccessible-key-field',
      description: 'An entity joined on a key field clients cannot see.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key', 'inaccessible')}
            type Query { users: [User!]! }
            type User @key(fields: "internalId") { internalId: ID! @inaccessible name: String! }`,
          resolvers: {
            Query: {
              users: () => [
                { internalId: 'x1', name: 'Ann' },
                { internalId: 'x2', name: 'Bob' },
              ],
            },
          },
        },
        {
          name: 'loyalty',
          typeDefs: `${link('key', 'inaccessible')}
            type User @key(fields: "internalId") { internalId: ID! @inaccessible points: Int! }`,
          resolvers: { User: { points: ({ internalId }: { internalId: string }) => (internalId === 'x1' ? 10 : 20) } },
        },
      ],
      operations: [
        {
          name: 'the join works',
          query: '{ users { name points } }',
          expected: { data: { users: [{ name: 'Ann', points: 10 }, { name: 'Bob', points: 20 }] } },
        },
        {
          name: 'the key field cannot be selected',
          query: '{ users { internalId } }',
          expected: { data: undefined, errors: VALIDATION },
        },
      ],
    },
  ],
};
