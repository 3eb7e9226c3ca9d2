import { link, type CaseGroup } from '../case.ts';

/* @requires: a subgraph's field computed from fields another subgraph resolves, passed in the representation. */

const PRODUCTS = [
  { upc: 'p1', name: 'Table', price: 100, weight: 20, dimensions: { length: 2, width: 1 } },
  { upc: 'p2', name: 'Couch', price: 500, weight: 60, dimensions: { length: 3, width: 2 } },
  { upc: 'p3', name: 'Lamp', price: 50, weight: 2, dimensions: { length: 1, width: 1 } },
];
const productByUpc = ({ upc }: { upc: string }) => PRODUCTS.find((product) => product.upc === upc) ?? null;

interface Shipped {
  upc: string;
  price: number;
  weight: number;
  dimensions: { length: number; width: number };
}

/** Each comment's author, in the order the forum lists them. */
const COMMENTS: Record<string, { id: string; authorId: string; body: string }[]> = {
  post1: [
    { id: 'c1', authorId: 'ann', body: 'First' },
    { id: 'c2', authorId: 'bob', body: 'Second' },
    { id: 'c3', authorId: 'ann', body: 'Third' },
    { id: 'c4', authorId: 'cid', body: 'Fourth' },
  ],
  post2: [{ id: 'c5', authorId: 'dee', body: 'Only' }],
};
const distinct = (values: string[]) => [...new Set(values)];

const forumSubgraph = {
  name: 'forum',
  typeDefs: `${link('key')}
    type Query { posts: [Post!]! }
    type Post @key(fields: "id") { id: ID! comments(limit: Int!): [Comment!]! }
    type Comment { id: ID! authorId: String! body: String! }`,
  resolvers: {
    Query: { posts: () => [{ id: 'post1' }, { id: 'post2' }] },
    Post: { comments: ({ id }: { id: string }, { limit }: { limit: number }) => (COMMENTS[id] ?? []).slice(0, limit) },
  },
};
const analyticsSubgraph = {
  name: 'analytics',
  typeDefs: `${link('key', 'external', 'requires')}
    type Post @key(fields: "id") {
      id: ID!
      comments(limit: Int!): [Comment!]! @external
      "The distinct authors of the first three comments."
      topCommenters: [String!]! @requires(fields: "comments(limit: 3) { authorId }")
    }
    type Comment { authorId: String! @external }`,
  resolvers: {
    Post: { topCommenters: ({ comments }: { comments: { authorId: string }[] }) => distinct(comments.map((comment) => comment.authorId)) },
  },
};
/** The two halves of a back-and-forth requirement chain: names.fullName needs titles.title, titles.greeting needs names.fullName. */
const namesSubgraph = ({ withPeople }: { withPeople: boolean }) => ({
  name: 'names',
  typeDefs: `${link('key', 'external', 'requires')}
    ${withPeople ? 'type Query { people: [Person!]! }' : ''}
    type Person @key(fields: "id") { id: ID! firstName: String! title: String! @external fullName: String! @requires(fields: "title") }`,
  resolvers: {
    ...(withPeople ? { Query: { people: () => [{ id: '1', firstName: 'Ann' }, { id: '2', firstName: 'Bob' }] } } : {}),
    Person: {
      __resolveReference: (ref: { id: string; title?: string }) => ({ ...ref, firstName: ref.id === '1' ? 'Ann' : 'Bob' }),
      fullName: ({ title, firstName }: { title: string; firstName: string }) => `${title} ${firstName}`,
    },
  },
});
const titlesSubgraph = {
  name: 'titles',
  typeDefs: `${link('key', 'external', 'requires')}
    type Person @key(fields: "id") { id: ID! title: String! fullName: String! @external greeting: String! @requires(fields: "fullName") }`,
  resolvers: {
    Person: {
      title: ({ id }: { id: string }) => (id === '1' ? 'Dr.' : 'Mr.'),
      greeting: ({ fullName }: { fullName: string }) => `Hello, ${fullName}!`,
    },
  },
};

const REQUIRES_ARGS_BUG =
  '@apollo/gateway fetches the required `comments(limit: 3)` and the client\'s `comments(limit: 1)` under one response name, so one of them gets the other\'s value';

export const requires: CaseGroup = {
  feature: '@requires',
  cases: [
    {
      name: 'requires-simple',
      description: 'A field requiring two scalar fields and a nested object selection of the owning subgraph, for a list of entities.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: String! name: String! price: Int! weight: Int! dimensions: Dimensions! }
            type Dimensions { length: Int! width: Int! }`,
          resolvers: { Query: { topProducts: () => PRODUCTS }, Product: { __resolveReference: productByUpc } },
        },
        {
          name: 'shipping',
          typeDefs: `${link('key', 'external', 'requires')}
            type Product @key(fields: "upc") {
              upc: String!
              price: Int! @external
              weight: Int! @external
              dimensions: Dimensions! @external
              shippingEstimate: Int! @requires(fields: "price weight dimensions { length width }")
            }
            type Dimensions { length: Int! @external width: Int! @external }`,
          resolvers: {
            Product: {
              // Free above 100; otherwise weight plus the footprint.
              shippingEstimate: ({ price, weight, dimensions }: Shipped) => (price > 100 ? 0 : weight + dimensions.length * dimensions.width),
            },
          },
        },
      ],
      operations: [
        {
          name: 'the requiring field alone',
          query: '{ topProducts { name shippingEstimate } }',
          expected: { data: { topProducts: [{ name: 'Table', shippingEstimate: 22 }, { name: 'Couch', shippingEstimate: 0 }, { name: 'Lamp', shippingEstimate: 3 }] } },
          calls: { products: 1, shipping: 1 },
        },
        {
          name: 'a client alias named like a required field',
          query: '{ topProducts { price: name shippingEstimate } }',
          expected: { data: { topProducts: [{ price: 'Table', shippingEstimate: 22 }, { price: 'Couch', shippingEstimate: 0 }, { price: 'Lamp', shippingEstimate: 3 }] } },
          gatewayDiffers: 'Apollo\'s query planner takes the client\'s `price: name` for the required `price` and fetches no price, so the requiring subgraph gets the name as the price',
        },
        {
          name: 'the client also selects part of what is required',
          query: '{ topProducts { shippingEstimate dimensions { width } } }',
          expected: {
            data: {
              topProducts: [
                { shippingEstimate: 22, dimensions: { width: 1 } },
                { shippingEstimate: 0, dimensions: { width: 2 } },
                { shippingEstimate: 3, dimensions: { width: 1 } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-fragments',
      description: 'A @requires selection with inline fragments on a union: each member contributes its own fields.',
      subgraphs: [
        {
          name: 'geometry',
          typeDefs: `${link('key')}
            type Query { plots: [Plot!]! }
            type Plot @key(fields: "id") { id: ID! shape: Shape! }
            union Shape = Circle | Square
            type Circle { radius: Int! }
            type Square { side: Int! }`,
          resolvers: {
            Query: {
              plots: () => [
                { id: 'a', shape: { kind: 'Square', side: 3 } },
                { id: 'b', shape: { kind: 'Circle', radius: 2 } },
              ],
            },
            Shape: { __resolveType: ({ kind }: { kind: string }) => kind },
          },
        },
        {
          name: 'landtax',
          typeDefs: `${link('key', 'external', 'requires')}
            type Plot @key(fields: "id") {
              id: ID!
              shape: Shape! @external
              tax: Int! @requires(fields: "shape { ... on Circle { radius } ... on Square { side } }")
            }
            union Shape = Circle | Square
            type Circle { radius: Int! @external }
            type Square { side: Int! @external }`,
          resolvers: {
            Plot: {
              // A circle's area with π taken as 3: enough to tell the members apart.
              tax: ({ shape }: { shape: { radius?: number; side?: number } }) => (shape.side !== undefined ? shape.side * shape.side : 3 * shape.radius! * shape.radius!),
            },
          },
        },
      ],
      operations: [
        {
          name: 'both members of the union',
          query: '{ plots { id tax } }',
          expected: { data: { plots: [{ id: 'a', tax: 9 }, { id: 'b', tax: 12 }] } },
        },
        {
          name: 'the client selects one member\'s field of the required union too',
          query: '{ plots { tax shape { __typename ... on Square { side } } } }',
          expected: { data: { plots: [{ tax: 9, shape: { __typename: 'Square', side: 3 } }, { tax: 12, shape: { __typename: 'Circle' } }] } },
        },
      ],
    },
    {
      name: 'requires-on-interface',
      description: 'An interface field that only one subgraph resolves, each implementation requiring its own fields from the subgraph that lists the shapes.',
      subgraphs: [
        {
          name: 'drawing',
          typeDefs: `${link('key')}
            type Query { shapes: [Shape!]! }
            interface Shape { id: ID! }
            type Circle implements Shape @key(fields: "id") { id: ID! radius: Int! }
            type Rectangle implements Shape @key(fields: "id") { id: ID! width: Int! height: Int! }`,
          resolvers: {
            Query: {
              shapes: () => [
                { __typename: 'Circle', id: 'c1', radius: 1 },
                { __typename: 'Rectangle', id: 'r1', width: 2, height: 5 },
                { __typename: 'Circle', id: 'c2', radius: 3 },
              ],
            },
            Shape: { __resolveType: ({ __typename }: { __typename: string }) => __typename },
          },
        },
        {
          name: 'measure',
          typeDefs: `${link('key', 'external', 'requires')}
            interface Shape { id: ID! area: Int! }
            type Circle implements Shape @key(fields: "id") { id: ID! radius: Int! @external area: Int! @requires(fields: "radius") }
            type Rectangle implements Shape @key(fields: "id") { id: ID! width: Int! @external height: Int! @external area: Int! @requires(fields: "width height") }`,
          resolvers: {
            Circle: { area: ({ radius }: { radius: number }) => 3 * radius * radius },
            Rectangle: { area: ({ width, height }: { width: number; height: number }) => width * height },
          },
        },
      ],
      operations: [
        {
          name: 'the interface field over every implementation',
          query: '{ shapes { __typename area } }',
          expected: {
            data: {
              shapes: [
                { __typename: 'Circle', area: 3 },
                { __typename: 'Rectangle', area: 10 },
                { __typename: 'Circle', area: 27 },
              ],
            },
          },
        },
        {
          name: 'the interface field next to a type condition',
          query: '{ shapes { id ... on Rectangle { width } area } }',
          expected: { data: { shapes: [{ id: 'c1', area: 3 }, { id: 'r1', width: 2, area: 10 }, { id: 'c2', area: 27 }] } },
        },
      ],
    },
    {
      name: 'requires-with-arguments',
      description: 'A @requires selecting a field with an argument (`comments(limit: 3)`), the client asking for the same argument.',
      subgraphs: [forumSubgraph, analyticsSubgraph],
      operations: [
        {
          name: 'the requiring field alone',
          query: '{ posts { id topCommenters } }',
          expected: { data: { posts: [{ id: 'post1', topCommenters: ['ann', 'bob'] }, { id: 'post2', topCommenters: ['dee'] }] } },
        },
        {
          name: 'the client selects the required field with the same argument',
          query: '{ posts { comments(limit: 3) { id } topCommenters } }',
          expected: {
            data: {
              posts: [
                { comments: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }], topCommenters: ['ann', 'bob'] },
                { comments: [{ id: 'c5' }], topCommenters: ['dee'] },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-with-other-arguments',
      description: 'The client selects the field a @requires needs with other arguments than the @requires (literal, variable with default, fragment): each gets its own.',
      subgraphs: [forumSubgraph, analyticsSubgraph],
      gatewayDiffers: REQUIRES_ARGS_BUG,
      operations: [
        {
          name: 'a literal argument',
          query: '{ posts { comments(limit: 1) { id } topCommenters } }',
          expected: {
            data: {
              posts: [
                { comments: [{ id: 'c1' }], topCommenters: ['ann', 'bob'] },
                { comments: [{ id: 'c5' }], topCommenters: ['dee'] },
              ],
            },
          },
        },
        {
          name: 'a variable with a default',
          query: 'query Posts($limit: Int! = 1) { posts { topCommenters comments(limit: $limit) { authorId } } }',
          expected: {
            data: {
              posts: [
                { topCommenters: ['ann', 'bob'], comments: [{ authorId: 'ann' }] },
                { topCommenters: ['dee'], comments: [{ authorId: 'dee' }] },
              ],
            },
          },
        },
        {
          name: 'a variable given a value',
          query: 'query Posts($limit: Int! = 1) { posts { topCommenters comments(limit: $limit) { authorId } } }',
          variables: { limit: 4 },
          expected: {
            data: {
              posts: [
                { topCommenters: ['ann', 'bob'], comments: [{ authorId: 'ann' }, { authorId: 'bob' }, { authorId: 'ann' }, { authorId: 'cid' }] },
                { topCommenters: ['dee'], comments: [{ authorId: 'dee' }] },
              ],
            },
          },
        },
        {
          name: 'a named fragment',
          query: 'query { posts { ...Latest topCommenters } } fragment Latest on Post { comments(limit: 1) { body } }',
          expected: {
            data: {
              posts: [
                { comments: [{ body: 'First' }], topCommenters: ['ann', 'bob'] },
                { comments: [{ body: 'Only' }], topCommenters: ['dee'] },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-two-arguments',
      description: 'Two fields requiring the same field with different arguments (`price(currency: "USD")`, `price(currency: "EUR")`) each get their own value.',
      subgraphs: [
        {
          name: 'pricing',
          typeDefs: `${link('key')}
            type Query { products: [Product!]! }
            type Product @key(fields: "id") { id: ID! price(currency: String!): Int! }`,
          resolvers: {
            Query: { products: () => [{ id: 'tbl', usd: 100 }, { id: 'cch', usd: 500 }] },
            Product: {
              __resolveReference: ({ id }: { id: string }) => ({ id, usd: id === 'tbl' ? 100 : 500 }),
              price: ({ usd }: { usd: number }, { currency }: { currency: string }) => (currency === 'EUR' ? usd * 0.9 : usd),
            },
          },
        },
        {
          name: 'labels',
          typeDefs: `${link('key', 'external', 'requires')}
            type Product @key(fields: "id") {
              id: ID!
              price(currency: String!): Int! @external
              usdLabel: String! @requires(fields: "price(currency: \\"USD\\")")
              eurLabel: String! @requires(fields: "price(currency: \\"EUR\\")")
            }`,
          resolvers: {
            Product: {
              usdLabel: ({ price }: { price: number }) => `$${price}`,
              eurLabel: ({ price }: { price: number }) => `€${price}`,
            },
          },
        },
      ],
      operations: [
        {
          name: 'one of them',
          query: '{ products { eurLabel } }',
          expected: { data: { products: [{ eurLabel: '€90' }, { eurLabel: '€450' }] } },
        },
        {
          name: 'both in one operation',
          query: '{ products { id usdLabel eurLabel } }',
          expected: { data: { products: [{ id: 'tbl', usdLabel: '$100', eurLabel: '€90' }, { id: 'cch', usdLabel: '$500', eurLabel: '€450' }] } },
          gatewayDiffers: '@apollo/gateway puts both required prices under one response name `price` in the representation, so both labels get the same price',
        },
        {
          name: 'both, and the client asks for a third currency',
          query: '{ products { usdLabel price(currency: "GBP") eurLabel } }',
          expected: { data: { products: [{ usdLabel: '$100', price: 100, eurLabel: '€90' }, { usdLabel: '$500', price: 500, eurLabel: '€450' }] } },
          gatewayDiffers: '@apollo/gateway fetches the required prices and the client\'s under one response name `price`, so the labels or the client\'s price get another currency\'s value',
        },
      ],
    },
    {
      name: 'requires-nested-compound-key',
      description: 'A @requires on an entity whose only key in the requiring subgraph is a compound key with nested fields (`id compositeId { two three }`).',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key', 'shareable')}
            type Query { accounts: [Account!]! }
            type Account @key(fields: "id") @key(fields: "id compositeId { two three }") { id: ID! compositeId: CompositeId! name: String! }
            type CompositeId @shareable { one: String! two: String! three: String! }`,
          resolvers: {
            Query: {
              accounts: () => [
                { id: 'a1', compositeId: { one: '1', two: '2', three: '3' }, name: 'Ann' },
                { id: 'a2', compositeId: { one: '4', two: '5', three: '6' }, name: 'Bob' },
              ],
            },
          },
        },
        {
          name: 'greetings',
          typeDefs: `${link('key', 'shareable', 'external', 'requires')}
            type Account @key(fields: "id compositeId { two three }") {
              id: ID!
              compositeId: CompositeId!
              name: String! @external
              greeting: String! @requires(fields: "name")
            }
            type CompositeId @shareable { two: String! three: String! }`,
          resolvers: {
            Account: {
              greeting: ({ id, compositeId, name }: { id: string; compositeId: { two: string; three: string }; name: string }) =>
                `Hello ${name} (${id}/${compositeId.two}-${compositeId.three})`,
            },
          },
        },
      ],
      operations: [
        {
          name: 'the requiring field',
          query: '{ accounts { greeting } }',
          expected: { data: { accounts: [{ greeting: 'Hello Ann (a1/2-3)' }, { greeting: 'Hello Bob (a2/5-6)' }] } },
        },
        {
          name: 'with the key fields selected too',
          query: '{ accounts { id compositeId { one two } greeting } }',
          expected: {
            data: {
              accounts: [
                { id: 'a1', compositeId: { one: '1', two: '2' }, greeting: 'Hello Ann (a1/2-3)' },
                { id: 'a2', compositeId: { one: '4', two: '5' }, greeting: 'Hello Bob (a2/5-6)' },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-chain',
      description: 'A @requires whose required field itself has a @requires in a third subgraph: products → inventory → shipping.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Query { topProducts: [Product!]! }
            type Product @key(fields: "upc") { upc: String! name: String! price: Int! }`,
          resolvers: { Query: { topProducts: () => PRODUCTS }, Product: { __resolveReference: productByUpc } },
        },
        {
          name: 'inventory',
          typeDefs: `${link('key', 'external', 'requires')}
            type Product @key(fields: "upc") { upc: String! price: Int! @external tax: Int! @requires(fields: "price") }`,
          resolvers: { Product: { tax: ({ price }: { price: number }) => price / 10 } },
        },
        {
          name: 'shipping',
          typeDefs: `${link('key', 'external', 'requires')}
            type Product @key(fields: "upc") { upc: String! price: Int! @external tax: Int! @external total: Int! @requires(fields: "price tax") }`,
          resolvers: { Product: { total: ({ price, tax }: { price: number; tax: number }) => price + tax + 5 } },
        },
      ],
      operations: [
        {
          name: 'the end of the chain',
          query: '{ topProducts { name total } }',
          expected: { data: { topProducts: [{ name: 'Table', total: 115 }, { name: 'Couch', total: 555 }, { name: 'Lamp', total: 60 }] } },
        },
        {
          name: 'every link of the chain',
          query: '{ topProducts { total tax price } }',
          expected: {
            data: {
              topProducts: [
                { total: 115, tax: 10, price: 100 },
                { total: 555, tax: 50, price: 500 },
                { total: 60, tax: 5, price: 50 },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-circular',
      description: 'Requirements that go back and forth: names.fullName requires titles.title, titles.greeting requires names.fullName.',
      subgraphs: [
        namesSubgraph({ withPeople: true }),
        titlesSubgraph,
      ],
      operations: [
        {
          name: 'names → titles → names',
          query: '{ people { fullName } }',
          expected: { data: { people: [{ fullName: 'Dr. Ann' }, { fullName: 'Mr. Bob' }] } },
        },
        {
          name: 'names → titles → names → titles',
          query: '{ people { greeting } }',
          expected: { data: { people: [{ greeting: 'Hello, Dr. Ann!' }, { greeting: 'Hello, Mr. Bob!' }] } },
          gatewayDiffers: 'Apollo\'s query planner asks `names` for the `title` it only declares @external (to feed its own fullName), so the subgraph answers null for a non-null field',
        },
        {
          name: 'every field along the way',
          query: '{ people { id title fullName greeting firstName } }',
          expected: {
            data: {
              people: [
                { id: '1', title: 'Dr.', fullName: 'Dr. Ann', greeting: 'Hello, Dr. Ann!', firstName: 'Ann' },
                { id: '2', title: 'Mr.', fullName: 'Mr. Bob', greeting: 'Hello, Mr. Bob!', firstName: 'Bob' },
              ],
            },
          },
          gatewayDiffers: 'Apollo\'s query planner asks `names` for the `title` it only declares @external (to feed its own fullName), so the subgraph answers null for a non-null field',
        },
      ],
    },
    {
      name: 'requires-circular-in-entity-fetch',
      description: 'The same back-and-forth chain when the people come from a third subgraph: the faulty request is an entity fetch, under a list of teams.',
      subgraphs: [
        {
          name: 'teams',
          typeDefs: `${link('key')}
            type Query { teams: [Team!]! }
            type Team { name: String! members: [Person!]! }
            type Person @key(fields: "id") { id: ID! }`,
          resolvers: {
            Query: {
              teams: () => [
                { name: 'red', members: [{ id: '1' }, { id: '2' }] },
                { name: 'blue', members: [{ id: '2' }] },
              ],
            },
          },
        },
        namesSubgraph({ withPeople: false }),
        titlesSubgraph,
      ],
      operations: [
        {
          name: 'greeting of every member',
          query: '{ teams { name members { greeting } } }',
          expected: {
            data: {
              teams: [
                { name: 'red', members: [{ greeting: 'Hello, Dr. Ann!' }, { greeting: 'Hello, Mr. Bob!' }] },
                { name: 'blue', members: [{ greeting: 'Hello, Mr. Bob!' }] },
              ],
            },
          },
        },
        {
          name: 'every field along the way, aliased',
          query: '{ teams { members { id name: firstName full: fullName hello: greeting } } }',
          expected: {
            data: {
              teams: [
                { members: [{ id: '1', name: 'Ann', full: 'Dr. Ann', hello: 'Hello, Dr. Ann!' }, { id: '2', name: 'Bob', full: 'Mr. Bob', hello: 'Hello, Mr. Bob!' }] },
                { members: [{ id: '2', name: 'Bob', full: 'Mr. Bob', hello: 'Hello, Mr. Bob!' }] },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'requires-non-resolvable-key',
      description: 'A @requires field in a subgraph whose key is `resolvable: false`: composition accepts it, but no plan can hand the required field back, so the operation is an error, not a silent null.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key')}
            type User @key(fields: "id") { id: ID! name: String! }`,
          resolvers: { User: { __resolveReference: ({ id }: { id: string }) => ({ id, name: id === 'u1' ? 'Ann' : 'Bob' }) } },
        },
        {
          name: 'ratings',
          typeDefs: `${link('key', 'external', 'requires')}
            type Query { topRated: [User!]! }
            type User @key(fields: "id", resolvable: false) { id: ID! name: String! @external stars: Int! rating: String @requires(fields: "name") }`,
          resolvers: {
            Query: { topRated: () => [{ id: 'u1', stars: 5 }] },
            // A subgraph whose key is not resolvable has no reference resolver: it cannot load a user it is handed.
            User: { __resolveReference: () => null, rating: ({ name, stars }: { name?: string; stars: number }) => (name === undefined ? null : `${name}: ${stars}`) },
          },
        },
      ],
      operations: [
        {
          name: 'fields that can be resolved',
          query: '{ topRated { stars name } }',
          expected: { data: { topRated: [{ stars: 5, name: 'Ann' }] } },
        },
        {
          name: 'the field that cannot be resolved',
          query: '{ topRated { rating } }',
          expected: { data: null, errors: [{ anyPath: true }] },
          gatewayDiffers: 'Apollo\'s query planner sends an _entities fetch into the subgraph whose key is `resolvable: false`; that subgraph cannot load the user, and @apollo/gateway answers a silent null',
        },
      ],
    },
  ],
};
