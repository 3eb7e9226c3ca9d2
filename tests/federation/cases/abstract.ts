import { link, type CaseGroup } from '../case.ts';

/* Interfaces and unions whose members and fields are spread over subgraphs. */

const byTypename = { __resolveType: ({ __typename }: { __typename: string }) => __typename };

export const abstractTypes: CaseGroup = {
  feature: 'Interfaces and unions',
  cases: [
    {
      name: 'interface-entities-across-subgraphs',
      description: 'A list of an interface whose implementations are entities with fields in a second subgraph, selected through type conditions.',
      subgraphs: [
        {
          name: 'content',
          typeDefs: `${link('key')}
            type Query { feed: [Item!]! }
            interface Item { id: ID! title: String! }
            type Article implements Item @key(fields: "id") { id: ID! title: String! words: Int! }
            type Video implements Item @key(fields: "id") { id: ID! title: String! seconds: Int! }`,
          resolvers: {
            Query: {
              feed: () => [
                { __typename: 'Article', id: 'a1', title: 'Intro', words: 300 },
                { __typename: 'Video', id: 'v1', title: 'Demo', seconds: 90 },
                { __typename: 'Article', id: 'a2', title: 'Deep dive', words: 2000 },
              ],
            },
            Item: byTypename,
          },
        },
        {
          name: 'stats',
          typeDefs: `${link('key')}
            type Article @key(fields: "id") { id: ID! views: Int! }
            type Video @key(fields: "id") { id: ID! views: Int! likes: Int! }`,
          resolvers: {
            Article: { views: ({ id }: { id: string }) => (id === 'a1' ? 10 : 20) },
            Video: { views: () => 30, likes: () => 3 },
          },
        },
      ],
      operations: [
        {
          name: 'interface fields and each type\'s remote fields',
          query: '{ feed { __typename id title ... on Article { words views } ... on Video { seconds views likes } } }',
          expected: {
            data: {
              feed: [
                { __typename: 'Article', id: 'a1', title: 'Intro', words: 300, views: 10 },
                { __typename: 'Video', id: 'v1', title: 'Demo', seconds: 90, views: 30, likes: 3 },
                { __typename: 'Article', id: 'a2', title: 'Deep dive', words: 2000, views: 20 },
              ],
            },
          },
        },
        {
          name: 'a remote field of one implementation only',
          query: '{ feed { id ... on Video { likes } } }',
          expected: { data: { feed: [{ id: 'a1' }, { id: 'v1', likes: 3 }, { id: 'a2' }] } },
        },
        {
          name: 'a named fragment on the interface, a type condition inside it',
          query: '{ feed { ...Card } } fragment Card on Item { title ... on Article { views } }',
          expected: { data: { feed: [{ title: 'Intro', views: 10 }, { title: 'Demo' }, { title: 'Deep dive', views: 20 }] } },
        },
      ],
    },
    {
      name: 'union-partial',
      description: 'A union with different members in two subgraphs: each subgraph is only asked about the members it knows.',
      subgraphs: [
        {
          name: 'library',
          typeDefs: `${link('key')}
            type Query { search: [Result!]! }
            union Result = Book | Author
            type Book @key(fields: "id") { id: ID! title: String! }
            type Author { name: String! }`,
          resolvers: {
            Query: {
              search: () => [
                { __typename: 'Book', id: 'b1', title: 'Dune' },
                { __typename: 'Author', name: 'Herbert' },
              ],
            },
            Result: byTypename,
            Book: { __resolveReference: ({ id }: { id: string }) => ({ id, title: 'Dune' }) },
          },
        },
        {
          name: 'publishing',
          typeDefs: `${link('key')}
            type Query { catalogue: [Result!]! }
            union Result = Book | Publisher
            type Book @key(fields: "id") { id: ID! pages: Int! }
            type Publisher { label: String! }`,
          resolvers: {
            Query: {
              catalogue: () => [
                { __typename: 'Publisher', label: 'Chilton' },
                { __typename: 'Book', id: 'b1', pages: 412 },
              ],
            },
            Result: byTypename,
            Book: { pages: () => 412 },
          },
        },
      ],
      operations: [
        {
          name: 'every member, from the library',
          query: '{ search { __typename ... on Book { title pages } ... on Author { name } ... on Publisher { label } } }',
          expected: { data: { search: [{ __typename: 'Book', title: 'Dune', pages: 412 }, { __typename: 'Author', name: 'Herbert' }] } },
        },
        {
          name: 'every member, from the publishing house',
          query: '{ catalogue { __typename ... on Author { name } ... on Publisher { label } ... on Book { pages title } } }',
          expected: { data: { catalogue: [{ __typename: 'Publisher', label: 'Chilton' }, { __typename: 'Book', pages: 412, title: 'Dune' }] } },
        },
        {
          name: 'only members the subgraph does not know',
          query: '{ search { ... on Publisher { label } } catalogue { ... on Author { name } } }',
          expected: { data: { search: [{}, {}], catalogue: [{}, {}] } },
        },
      ],
    },
    {
      name: 'abstract-type-intersections',
      description: 'Type conditions on an interface inside a union (and the reverse), where the interface and the union come from different subgraphs: only their common members match.',
      subgraphs: [
        {
          name: 'media',
          typeDefs: `${link('key')}
            type Query { media: [Media!]! }
            union Media = Book | Movie
            type Book @key(fields: "id") { id: ID! title: String! }
            type Movie @key(fields: "id") { id: ID! title: String! }`,
          resolvers: {
            Query: {
              media: () => [
                { __typename: 'Book', id: 'b1', title: 'Dune' },
                { __typename: 'Movie', id: 'm1', title: 'Alien' },
              ],
            },
            Media: byTypename,
            Book: { __resolveReference: ({ id }: { id: string }) => ({ id, title: 'Dune' }) },
          },
        },
        {
          name: 'shop',
          typeDefs: `${link('key')}
            type Query { offers: [Priced!]! }
            interface Priced { price: Int! }
            type Book implements Priced @key(fields: "id") { id: ID! price: Int! }
            type Gift implements Priced { price: Int! wrapped: Boolean! }
            type Movie @key(fields: "id") { id: ID! rentals: Int! }`,
          resolvers: {
            Query: {
              offers: () => [
                { __typename: 'Gift', price: 5, wrapped: true },
                { __typename: 'Book', id: 'b1', price: 20 },
              ],
            },
            Priced: byTypename,
            Book: { price: () => 20 },
            Movie: { rentals: () => 7 },
          },
        },
      ],
      operations: [
        {
          name: 'an interface condition inside a union selection',
          query: '{ media { __typename ... on Priced { price } ... on Movie { rentals } } }',
          expected: { data: { media: [{ __typename: 'Book', price: 20 }, { __typename: 'Movie', rentals: 7 }] } },
        },
        {
          name: 'a union condition inside an interface selection',
          query: '{ offers { price ... on Media { ... on Book { title } } ... on Gift { wrapped } } }',
          expected: { data: { offers: [{ price: 5, wrapped: true }, { price: 20, title: 'Dune' }] } },
        },
      ],
    },
    {
      name: 'interface-partial-implementations',
      description: 'An interface with more implementations in one subgraph than in another, and an interface field only one subgraph declares on it.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key')}
            type Query { accounts: [Account!]! }
            interface Account { id: ID! name: String! }
            type User implements Account @key(fields: "id") { id: ID! name: String! email: String! }
            type Bot implements Account @key(fields: "id") { id: ID! name: String! model: String! }`,
          resolvers: {
            Query: {
              accounts: () => [
                { __typename: 'User', id: 'u1', name: 'Ann', email: 'ann@example.com' },
                { __typename: 'Bot', id: 'b1', name: 'Robbie', model: 'R2' },
              ],
            },
            Account: byTypename,
            User: { __resolveReference: ({ id }: { id: string }) => ({ id, name: id === 'u1' ? 'Ann' : 'Bob', email: `${id}@example.com` }) },
          },
        },
        {
          name: 'audit',
          typeDefs: `${link('key')}
            type Query { recentActors: [Account!]! }
            interface Account { id: ID! }
            type User implements Account @key(fields: "id") { id: ID! lastLogin: String! }`,
          resolvers: {
            Query: {
              recentActors: () => [
                { __typename: 'User', id: 'u2' },
                { __typename: 'User', id: 'u1' },
              ],
            },
            Account: byTypename,
            User: { lastLogin: ({ id }: { id: string }) => (id === 'u1' ? 'Monday' : 'Tuesday') },
          },
        },
      ],
      operations: [
        {
          name: 'from the subgraph with fewer implementations',
          query: '{ recentActors { __typename id name ... on User { email lastLogin } ... on Bot { model } } }',
          expected: {
            data: {
              recentActors: [
                { __typename: 'User', id: 'u2', name: 'Bob', email: 'u2@example.com', lastLogin: 'Tuesday' },
                { __typename: 'User', id: 'u1', name: 'Ann', email: 'u1@example.com', lastLogin: 'Monday' },
              ],
            },
          },
        },
        {
          name: 'from the subgraph with more implementations',
          query: '{ accounts { name ... on User { lastLogin } ... on Bot { model } } }',
          expected: { data: { accounts: [{ name: 'Ann', lastLogin: 'Monday' }, { name: 'Robbie', model: 'R2' }] } },
        },
      ],
    },
    {
      name: 'typename',
      description: '__typename at the root (answered without any subgraph), on mutations, on abstract types and under aliases.',
      subgraphs: [
        {
          name: 'things',
          typeDefs: `${link('key')}
            type Query { thing: Thing }
            type Mutation { touch: Thing }
            interface Thing { id: ID! }
            type Rock implements Thing @key(fields: "id") { id: ID! }`,
          resolvers: {
            Query: { thing: () => ({ __typename: 'Rock', id: 'r1' }) },
            Mutation: { touch: () => ({ __typename: 'Rock', id: 'r1' }) },
            Thing: byTypename,
          },
        },
        {
          name: 'weights',
          typeDefs: `${link('key')}
            type Rock @key(fields: "id") { id: ID! grams: Int! }`,
          resolvers: { Rock: { grams: () => 120 } },
        },
      ],
      operations: [
        {
          name: 'only the root __typename',
          query: '{ __typename }',
          expected: { data: { __typename: 'Query' } },
          calls: { things: 0, weights: 0 },
        },
        {
          name: 'aliased __typename at every level',
          query: '{ root: __typename thing { kind: __typename __typename ... on Rock { grams t: __typename } } }',
          expected: { data: { root: 'Query', thing: { kind: 'Rock', __typename: 'Rock', grams: 120, t: 'Rock' } } },
        },
        {
          name: 'the mutation root',
          query: 'mutation { __typename touch { __typename } }',
          expected: { data: { __typename: 'Mutation', touch: { __typename: 'Rock' } } },
        },
      ],
    },
  ],
};
