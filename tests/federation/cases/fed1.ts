import { link, type CaseGroup } from '../case.ts';

/*
 * Federation 1 subgraphs: no @link, entities owned by one subgraph and `extend type`d by the others, value
 * types shared without @shareable. Composition upgrades them to federation 2 semantics.
 */

const PRODUCTS = [
  { upc: 'p1', name: 'Table', weight: 20 },
  { upc: 'p2', name: 'Lamp', weight: 2 },
];
const USERS: Record<string, { id: string; username: string; name: string }> = {
  u1: { id: 'u1', username: 'ann', name: 'Ann Smith' },
  u2: { id: 'u2', username: 'bob', name: 'Bob Jones' },
};

export const fed1: CaseGroup = {
  feature: 'Federation 1 subgraphs',
  cases: [
    {
      name: 'fed1-extend-type',
      description: 'Four federation 1 subgraphs: `extend type` entities with @external keys, @requires and @provides.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `
            type Query { topProducts: [Product] }
            type Product @key(fields: "upc") { upc: String! name: String weight: Int }`,
          resolvers: {
            Query: { topProducts: () => PRODUCTS },
            Product: { __resolveReference: ({ upc }: { upc: string }) => PRODUCTS.find((product) => product.upc === upc) },
          },
        },
        {
          name: 'reviews',
          typeDefs: `
            extend type Query { latestReview: Review }
            extend type Product @key(fields: "upc") { upc: String! @external reviews: [Review] }
            type Review { body: String author: User @provides(fields: "username") product: Product }
            extend type User @key(fields: "id") { id: ID! @external username: String @external }`,
          resolvers: {
            Query: { latestReview: () => ({ body: 'Soft', author: { id: 'u2', username: 'bob' }, product: { upc: 'p2' } }) },
            Product: { reviews: ({ upc }: { upc: string }) => (upc === 'p1' ? [{ body: 'Sturdy', author: { id: 'u1', username: 'ann' } }] : []) },
          },
        },
        {
          name: 'accounts',
          typeDefs: `
            extend type Query { me: User }
            type User @key(fields: "id") { id: ID! username: String name: String }`,
          resolvers: { Query: { me: () => USERS.u1 }, User: { __resolveReference: ({ id }: { id: string }) => USERS[id] } },
        },
        {
          name: 'shipping',
          typeDefs: `
            extend type Product @key(fields: "upc") { upc: String! @external weight: Int @external shippingEstimate: Int @requires(fields: "weight") }`,
          resolvers: { Product: { shippingEstimate: ({ weight }: { weight: number }) => weight * 3 } },
        },
      ],
      operations: [
        {
          name: 'every subgraph in one query',
          query: '{ topProducts { name shippingEstimate reviews { body author { username name } } } }',
          expected: {
            data: {
              topProducts: [
                { name: 'Table', shippingEstimate: 60, reviews: [{ body: 'Sturdy', author: { username: 'ann', name: 'Ann Smith' } }] },
                { name: 'Lamp', shippingEstimate: 6, reviews: [] },
              ],
            },
          },
        },
        {
          name: 'a provided field and an extended root type',
          query: '{ latestReview { body author { username } product { name } } me { username } }',
          expected: { data: { latestReview: { body: 'Soft', author: { username: 'bob' }, product: { name: 'Lamp' } }, me: { username: 'ann' } } },
        },
      ],
    },
    {
      name: 'fed1-mixed-with-fed2',
      description: 'A federation 1 subgraph next to a federation 2 one: a value type the fed1 subgraph shares implicitly, an entity it extends.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key', 'shareable')}
            type Query { products: [Product!]! }
            type Product @key(fields: "id") { id: ID! name: String! price: Money! @shareable }
            type Money @shareable { amount: Int! currency: String! }`,
          resolvers: {
            Query: {
              products: () => [
                { id: '1', name: 'Table', price: { amount: 100, currency: 'EUR' } },
                { id: '2', name: 'Lamp', price: { amount: 15, currency: 'EUR' } },
              ],
            },
            Product: { __resolveReference: ({ id }: { id: string }) => ({ id, name: id === '1' ? 'Table' : 'Lamp', price: { amount: id === '1' ? 100 : 15, currency: 'EUR' } }) },
          },
        },
        {
          name: 'deals',
          typeDefs: `
            extend type Query { deals: [Product] }
            extend type Product @key(fields: "id") { id: ID! @external price: Money discounted: Money }
            type Money { amount: Int! currency: String! }`,
          resolvers: {
            Query: { deals: () => [{ id: '2' }] },
            Product: {
              price: ({ id }: { id: string }) => ({ amount: id === '1' ? 100 : 15, currency: 'EUR' }),
              discounted: ({ id }: { id: string }) => ({ amount: id === '1' ? 90 : 10, currency: 'EUR' }),
            },
          },
        },
      ],
      operations: [
        {
          name: 'from the federation 2 root',
          query: '{ products { name price { amount } discounted { amount currency } } }',
          expected: {
            data: {
              products: [
                { name: 'Table', price: { amount: 100 }, discounted: { amount: 90, currency: 'EUR' } },
                { name: 'Lamp', price: { amount: 15 }, discounted: { amount: 10, currency: 'EUR' } },
              ],
            },
          },
        },
        {
          name: 'from the federation 1 root',
          query: '{ deals { name discounted { amount } price { currency } } }',
          expected: { data: { deals: [{ name: 'Lamp', discounted: { amount: 10 }, price: { currency: 'EUR' } }] } },
        },
      ],
    },
  ],
};
