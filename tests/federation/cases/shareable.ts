import { link, type CaseGroup } from '../case.ts';

/* @shareable: root fields and value types that more than one subgraph resolves. */

const CATEGORIES = [
  { id: 'c1', name: 'Furniture', productCount: 12 },
  { id: 'c2', name: 'Lighting', productCount: 3 },
];

export const shareable: CaseGroup = {
  feature: 'Shared root fields and value types (@shareable)',
  cases: [
    {
      name: 'shareable-root-field',
      description: 'A root field both subgraphs resolve, returning a value type whose fields are partly shared: every selection is answered.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('shareable')}
            type Query { categories: [Category!]! @shareable category(id: ID!): Category @shareable }
            type Category { id: ID! @shareable name: String! @shareable }`,
          resolvers: {
            Query: { categories: () => CATEGORIES, category: (_: unknown, { id }: { id: string }) => CATEGORIES.find((category) => category.id === id) ?? null },
          },
        },
        {
          name: 'search',
          typeDefs: `${link('shareable')}
            type Query { categories: [Category!]! @shareable category(id: ID!): Category @shareable }
            type Category { id: ID! @shareable name: String! @shareable productCount: Int! }`,
          resolvers: {
            Query: { categories: () => CATEGORIES, category: (_: unknown, { id }: { id: string }) => CATEGORIES.find((category) => category.id === id) ?? null },
          },
        },
      ],
      operations: [
        {
          name: 'fields both subgraphs resolve',
          query: '{ categories { id name } }',
          expected: { data: { categories: [{ id: 'c1', name: 'Furniture' }, { id: 'c2', name: 'Lighting' }] } },
        },
        {
          name: 'a field only one of them resolves',
          query: '{ categories { name productCount } }',
          expected: { data: { categories: [{ name: 'Furniture', productCount: 12 }, { name: 'Lighting', productCount: 3 }] } },
          calls: { search: 1 },
        },
        {
          name: 'with an argument, twice under aliases',
          query: '{ a: category(id: "c2") { name } b: category(id: "c1") { productCount } none: category(id: "x") { name } }',
          expected: { data: { a: { name: 'Lighting' }, b: { productCount: 12 }, none: null } },
        },
      ],
    },
    {
      name: 'shareable-value-type-partial',
      description: 'A shared value type whose fields differ between subgraphs, under an entity field both resolve: the missing fields come through the entity\'s key.',
      subgraphs: [
        {
          name: 'products',
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
          },
        },
        {
          name: 'display',
          typeDefs: `${link('key', 'shareable')}
            type Product @key(fields: "id") { id: ID! price: Money! @shareable }
            type Money @shareable { amount: Int! formatted: String! }`,
          resolvers: {
            Product: { price: ({ id }: { id: string }) => (id === '1' ? { amount: 100 } : { amount: 15 }) },
            Money: { formatted: ({ amount }: { amount: number }) => `€${amount}.00` },
          },
        },
      ],
      operations: [
        {
          name: 'fields of the value type from both subgraphs',
          query: '{ products { name price { currency amount formatted } } }',
          expected: {
            data: {
              products: [
                { name: 'Table', price: { currency: 'EUR', amount: 100, formatted: '€100.00' } },
                { name: 'Lamp', price: { currency: 'EUR', amount: 15, formatted: '€15.00' } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'shareable-entity-root',
      description: 'A shared root field returning an entity whose fields live in both subgraphs.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key', 'shareable')}
            type Query { me: User @shareable }
            type User @key(fields: "id") { id: ID! name: String! }`,
          resolvers: { Query: { me: () => ({ id: 'u1', name: 'Ann' }) }, User: { __resolveReference: ({ id }: { id: string }) => ({ id, name: 'Ann' }) } },
        },
        {
          name: 'profiles',
          typeDefs: `${link('key', 'shareable')}
            type Query { me: User @shareable }
            type User @key(fields: "id") { id: ID! email: String! }`,
          resolvers: { Query: { me: () => ({ id: 'u1' }) }, User: { email: () => 'ann@example.com' } },
        },
      ],
      operations: [
        {
          name: 'fields of both subgraphs',
          query: '{ me { email id name } }',
          expected: { data: { me: { email: 'ann@example.com', id: 'u1', name: 'Ann' } } },
        },
      ],
    },
  ],
};
