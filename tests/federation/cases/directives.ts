import { link, type CaseGroup } from '../case.ts';

/* @include and @skip: literal and variable conditions on fields, fragments and root fields across subgraphs. */

const PRODUCTS = [
  { upc: 'p1', name: 'Table', weight: 20 },
  { upc: 'p2', name: 'Lamp', weight: 2 },
];

export const directives: CaseGroup = {
  feature: '@include and @skip',
  cases: [
    {
      name: 'include-skip',
      description: '@include/@skip with literals, variables and defaults, on entity fields, inline fragments, fragment spreads and root fields, and on a field a @requires needs.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: String! name: String! weight: Int! }`,
          resolvers: {
            Query: { topProducts: () => PRODUCTS },
            Product: { __resolveReference: ({ upc }: { upc: string }) => PRODUCTS.find((product) => product.upc === upc) },
          },
        },
        {
          name: 'reviews',
          typeDefs: `${link('key', 'external', 'requires')}
            type Product @key(fields: "upc") { upc: String! reviews: [Review!]! weight: Int! @external shippingEstimate: Int! @requires(fields: "weight") }
            type Review { body: String! }`,
          resolvers: {
            Product: {
              reviews: ({ upc }: { upc: string }) => (upc === 'p1' ? [{ body: 'Sturdy' }] : []),
              shippingEstimate: ({ weight }: { weight: number }) => weight * 2,
            },
          },
        },
      ],
      operations: [
        {
          name: 'a skipped remote field is not fetched',
          query: '{ topProducts { name reviews @skip(if: true) { body } } }',
          expected: { data: { topProducts: [{ name: 'Table' }, { name: 'Lamp' }] } },
          calls: { products: 1, reviews: 0 },
        },
        {
          name: 'variables, one with a default, excluding the remote field',
          query: 'query ($withReviews: Boolean!, $skipName: Boolean = false) { topProducts { name @skip(if: $skipName) reviews @include(if: $withReviews) { body } } }',
          variables: { withReviews: false },
          expected: { data: { topProducts: [{ name: 'Table' }, { name: 'Lamp' }] } },
          calls: { reviews: 0 },
        },
        {
          name: 'variables, one with a default, excluding the local field',
          query: 'query ($withReviews: Boolean!, $skipName: Boolean = false) { topProducts { name @skip(if: $skipName) reviews @include(if: $withReviews) { body } } }',
          variables: { withReviews: true, skipName: true },
          expected: { data: { topProducts: [{ reviews: [{ body: 'Sturdy' }] }, { reviews: [] }] } },
        },
        {
          name: 'on an inline fragment and a fragment spread',
          query: `query ($details: Boolean!) { topProducts { upc ... @include(if: $details) { name } ...Feedback @skip(if: $details) } }
            fragment Feedback on Product { reviews { body } }`,
          variables: { details: true },
          expected: { data: { topProducts: [{ upc: 'p1', name: 'Table' }, { upc: 'p2', name: 'Lamp' }] } },
          calls: { reviews: 0 },
        },
        {
          name: 'on a fragment spread, the other way',
          query: `query ($details: Boolean!) { topProducts { upc ... @include(if: $details) { name } ...Feedback @skip(if: $details) } }
            fragment Feedback on Product { reviews { body } }`,
          variables: { details: false },
          expected: { data: { topProducts: [{ upc: 'p1', reviews: [{ body: 'Sturdy' }] }, { upc: 'p2', reviews: [] }] } },
        },
        {
          name: 'on root fields, by a variable\'s default',
          query: 'query ($first: Boolean = true) { first: topProducts @include(if: $first) { upc } second: topProducts @skip(if: $first) { name } }',
          expected: { data: { first: [{ upc: 'p1' }, { upc: 'p2' }] } },
        },
        {
          name: '@skip and @include on one field',
          query: '{ topProducts { upc a: name @skip(if: false) @include(if: true) b: name @skip(if: true) @include(if: true) c: name @skip(if: false) @include(if: false) } }',
          expected: { data: { topProducts: [{ upc: 'p1', a: 'Table' }, { upc: 'p2', a: 'Lamp' }] } },
        },
        {
          name: 'a field skipped in one place and selected in another',
          // The skipped occurrence is dropped where it stands: the response key takes the place of the included one.
          query: '{ topProducts { name @skip(if: true) upc name } }',
          expected: { data: { topProducts: [{ upc: 'p1', name: 'Table' }, { upc: 'p2', name: 'Lamp' }] } },
        },
        {
          name: 'the field a @requires needs is skipped by the client',
          query: 'query ($hide: Boolean!) { topProducts { weight @skip(if: $hide) shippingEstimate } }',
          variables: { hide: true },
          expected: { data: { topProducts: [{ shippingEstimate: 40 }, { shippingEstimate: 4 }] } },
        },
      ],
    },
  ],
};
