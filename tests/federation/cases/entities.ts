import { GraphQLError } from 'graphql';
import { link, type CaseGroup } from '../case.ts';

/* Entity calls: a type's fields spread over subgraphs and joined on its @key. */

interface Product {
  upc: string;
  name: string;
  price: number;
}
const PRODUCTS: Product[] = [
  { upc: 'p1', name: 'Table', price: 100 },
  { upc: 'p2', name: 'Couch', price: 500 },
  { upc: 'p3', name: 'Chair', price: 50 },
];
const productByUpc = ({ upc }: { upc: string }) => PRODUCTS.find((product) => product.upc === upc) ?? null;
const REVIEWS: Record<string, { id: string; body: string }[]> = {
  p1: [{ id: 'r1', body: 'Sturdy' }],
  p2: [
    { id: 'r2', body: 'Soft' },
    { id: 'r3', body: 'Too big' },
  ],
  p3: [],
};

const productsSubgraph = {
  name: 'products',
  typeDefs: `${link('key')}
    type Query { topProducts(first: Int = 3): [Product!]! }
    type Product @key(fields: "upc") { upc: String! name: String! price: Int! }`,
  resolvers: {
    Query: { topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first) },
    Product: { __resolveReference: productByUpc },
  },
};

export const entities: CaseGroup = {
  feature: 'Entity calls and their errors',
  cases: [
    {
      name: 'entity-simple',
      description: 'A field of an entity from a second subgraph, joined on a single-field key; one batched _entities call for a list.',
      subgraphs: [
        productsSubgraph,
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }
            type Review { id: ID! body: String! }`,
          resolvers: { Product: { reviews: ({ upc }: { upc: string }) => REVIEWS[upc] ?? [] } },
        },
      ],
      operations: [
        {
          name: 'fields of both subgraphs in selection order',
          query: '{ topProducts { upc name reviews { id body } } }',
          expected: {
            data: {
              topProducts: [
                { upc: 'p1', name: 'Table', reviews: [{ id: 'r1', body: 'Sturdy' }] },
                { upc: 'p2', name: 'Couch', reviews: [{ id: 'r2', body: 'Soft' }, { id: 'r3', body: 'Too big' }] },
                { upc: 'p3', name: 'Chair', reviews: [] },
              ],
            },
          },
          calls: { products: 1, reviews: 1 },
        },
        {
          name: 'only the remote field, with a root argument',
          query: '{ topProducts(first: 2) { reviews { body } } }',
          expected: { data: { topProducts: [{ reviews: [{ body: 'Sturdy' }] }, { reviews: [{ body: 'Soft' }, { body: 'Too big' }] }] } },
        },
        {
          name: 'aliases and __typename on both sides of the join',
          query: '{ top: topProducts(first: 2) { __typename feedback: reviews { __typename text: body } title: name } }',
          expected: {
            data: {
              top: [
                { __typename: 'Product', feedback: [{ __typename: 'Review', text: 'Sturdy' }], title: 'Table' },
                { __typename: 'Product', feedback: [{ __typename: 'Review', text: 'Soft' }, { __typename: 'Review', text: 'Too big' }], title: 'Couch' },
              ],
            },
          },
        },
        {
          name: 'a client alias named like the key field',
          query: '{ topProducts(first: 2) { upc: name reviews { id } } }',
          expected: { data: { topProducts: [{ upc: 'Table', reviews: [{ id: 'r1' }] }, { upc: 'Couch', reviews: [{ id: 'r2' }, { id: 'r3' }] }] } },
          gatewayDiffers: 'Apollo\'s query planner drops the client\'s `upc: name` for the key field `upc` it needs under the same response name, so the client gets the key instead of the name',
        },
        {
          name: 'one remote field selected directly and through a fragment, merged',
          query: '{ topProducts(first: 2) { reviews { id } ... on Product { reviews { body } } } }',
          expected: {
            data: {
              topProducts: [
                { reviews: [{ id: 'r1', body: 'Sturdy' }] },
                { reviews: [{ id: 'r2', body: 'Soft' }, { id: 'r3', body: 'Too big' }] },
              ],
            },
          },
        },
        {
          name: 'the same entity field under two aliases with different sub-selections',
          query: '{ topProducts(first: 2) { a: reviews { id } b: reviews { body } } }',
          expected: {
            data: {
              topProducts: [
                { a: [{ id: 'r1' }], b: [{ body: 'Sturdy' }] },
                { a: [{ id: 'r2' }, { id: 'r3' }], b: [{ body: 'Soft' }, { body: 'Too big' }] },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'entity-parent-chain',
      description: 'An entity call whose parent objects came from another entity call: reviews → products → brands, with a null link and a repeated entity.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Query { latestReviews: [Review!]! }
            type Review { id: ID! body: String! product: Product! }
            type Product @key(fields: "upc", resolvable: false) { upc: String! }`,
          resolvers: {
            Query: {
              latestReviews: () => [
                { id: 'r1', body: 'Sturdy', product: { upc: 'p1' } },
                { id: 'r2', body: 'Soft', product: { upc: 'p2' } },
                { id: 'r3', body: 'Wobbly', product: { upc: 'p3' } },
                { id: 'r4', body: 'Heavy', product: { upc: 'p1' } },
              ],
            },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! name: String! brand: Brand }
            type Brand @key(fields: "id", resolvable: false) { id: ID! }`,
          resolvers: {
            Product: {
              __resolveReference: ({ upc }: { upc: string }) =>
                ({ p1: { upc, name: 'Table', brand: { id: 'b1' } }, p2: { upc, name: 'Couch', brand: { id: 'b2' } }, p3: { upc, name: 'Chair', brand: null } })[upc],
            },
          },
        },
        {
          name: 'brands',
          typeDefs: `${link('key')}
            type Brand @key(fields: "id") { id: ID! name: String! country: String! }`,
          resolvers: {
            Brand: {
              __resolveReference: ({ id }: { id: string }) => ({ b1: { id, name: 'Oakworks', country: 'NO' }, b2: { id, name: 'Softly', country: 'IT' } })[id],
            },
          },
        },
      ],
      operations: [
        {
          name: 'three hops, each batched',
          query: '{ latestReviews { body product { name brand { name country } } } }',
          expected: {
            data: {
              latestReviews: [
                { body: 'Sturdy', product: { name: 'Table', brand: { name: 'Oakworks', country: 'NO' } } },
                { body: 'Soft', product: { name: 'Couch', brand: { name: 'Softly', country: 'IT' } } },
                { body: 'Wobbly', product: { name: 'Chair', brand: null } },
                { body: 'Heavy', product: { name: 'Table', brand: { name: 'Oakworks', country: 'NO' } } },
              ],
            },
          },
          calls: { reviews: 1, products: 1, brands: 1 },
        },
        {
          name: 'skipping the middle subgraph\'s own fields',
          query: '{ latestReviews { id product { brand { id name } } } }',
          expected: {
            data: {
              latestReviews: [
                { id: 'r1', product: { brand: { id: 'b1', name: 'Oakworks' } } },
                { id: 'r2', product: { brand: { id: 'b2', name: 'Softly' } } },
                { id: 'r3', product: { brand: null } },
                { id: 'r4', product: { brand: { id: 'b1', name: 'Oakworks' } } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'entity-nested-key',
      description: 'A key with a nested selection (`id organization { id }`): the whole nested key reaches the resolving subgraph.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key', 'shareable')}
            type Query { members: [Member!]! }
            type Member @key(fields: "id organization { id }") { id: ID! organization: Organization! name: String! }
            type Organization @shareable { id: ID! }`,
          resolvers: {
            Query: {
              members: () => [
                { id: 'm1', organization: { id: 'o1' }, name: 'Ann' },
                { id: 'm1', organization: { id: 'o2' }, name: 'Ann B.' },
                { id: 'm2', organization: { id: 'o1' }, name: 'Bob' },
              ],
            },
          },
        },
        {
          name: 'billing',
          typeDefs: `${link('key', 'shareable')}
            type Member @key(fields: "id organization { id }") { id: ID! organization: Organization! invoiceEmail: String! }
            type Organization @shareable { id: ID! }`,
          resolvers: {
            Member: {
              __resolveReference: (ref: { id: string; organization: { id: string } }) => ({ ...ref, invoiceEmail: `${ref.id}@${ref.organization.id}.example` }),
            },
          },
        },
      ],
      operations: [
        {
          name: 'same id in two organizations resolves twice',
          query: '{ members { name invoiceEmail organization { id } } }',
          expected: {
            data: {
              members: [
                { name: 'Ann', invoiceEmail: 'm1@o1.example', organization: { id: 'o1' } },
                { name: 'Ann B.', invoiceEmail: 'm1@o2.example', organization: { id: 'o2' } },
                { name: 'Bob', invoiceEmail: 'm2@o1.example', organization: { id: 'o1' } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'entity-compound-key',
      description: 'A compound key of two fields (`sku size`), entered from either subgraph.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Query { variants: [Variant!]! }
            type Variant @key(fields: "sku size") { sku: String! size: String! label: String! }`,
          resolvers: {
            Query: {
              variants: () => [
                { sku: 'shirt', size: 'S', label: 'Shirt, small' },
                { sku: 'shirt', size: 'M', label: 'Shirt, medium' },
                { sku: 'mug', size: 'ONE', label: 'Mug' },
              ],
            },
            Variant: { __resolveReference: ({ sku, size }: { sku: string; size: string }) => ({ sku, size, label: `${sku === 'mug' ? 'Mug' : 'Shirt'}, ${size === 'S' ? 'small' : size === 'M' ? 'medium' : size}` }) },
          },
        },
        {
          name: 'stock',
          typeDefs: `${link('key')}
            type Query { lowStock: [Variant!]! }
            type Variant @key(fields: "sku size") { sku: String! size: String! quantity: Int! }`,
          resolvers: {
            Query: { lowStock: () => [{ sku: 'shirt', size: 'M' }] },
            Variant: { quantity: ({ sku, size }: { sku: string; size: string }) => (({ 'shirt/S': 12, 'shirt/M': 2, 'mug/ONE': 40 }) as Record<string, number>)[`${sku}/${size}`] },
          },
        },
      ],
      operations: [
        {
          name: 'from the catalog to the stock',
          query: '{ variants { label quantity } }',
          expected: { data: { variants: [{ label: 'Shirt, small', quantity: 12 }, { label: 'Shirt, medium', quantity: 2 }, { label: 'Mug', quantity: 40 }] } },
        },
        {
          name: 'from the stock to the catalog',
          query: '{ lowStock { quantity label sku } }',
          expected: { data: { lowStock: [{ quantity: 2, label: 'Shirt, medium', sku: 'shirt' }] } },
        },
      ],
    },
    {
      name: 'entity-multiple-keys',
      description: 'An entity with two keys: the warehouse knows it by id, pricing by sku, so the plan goes through the catalog that knows both.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! }`,
          resolvers: {
            Product: {
              __resolveReference: (ref: { id?: string; sku?: string }) =>
                [
                  { id: '1', sku: 'TBL', name: 'Table' },
                  { id: '2', sku: 'CCH', name: 'Couch' },
                ].find((product) => product.id === ref.id || product.sku === ref.sku),
            },
          },
        },
        {
          name: 'pricing',
          typeDefs: `${link('key')}
            type Product @key(fields: "sku") { sku: String! price: Int! }`,
          resolvers: { Product: { price: ({ sku }: { sku: string }) => ({ TBL: 100, CCH: 500 })[sku] } },
        },
        {
          name: 'warehouse',
          typeDefs: `${link('key')}
            type Query { lowStock: [Product!]! }
            type Product @key(fields: "id") { id: ID! stock: Int! }`,
          resolvers: { Query: { lowStock: () => [{ id: '2', stock: 1 }, { id: '1', stock: 3 }] } },
        },
      ],
      operations: [
        {
          name: 'a field only reachable through the other key',
          query: '{ lowStock { id price } }',
          expected: { data: { lowStock: [{ id: '2', price: 500 }, { id: '1', price: 100 }] } },
          calls: { warehouse: 1, catalog: 1, pricing: 1 },
        },
        {
          name: 'fields of all three subgraphs',
          query: '{ lowStock { stock name sku price } }',
          expected: { data: { lowStock: [{ stock: 1, name: 'Couch', sku: 'CCH', price: 500 }, { stock: 3, name: 'Table', sku: 'TBL', price: 100 }] } },
        },
      ],
    },
    {
      name: 'entity-null-references',
      description: 'Null entity references are not fetched; an entity its subgraph cannot find leaves its nullable fields null, without errors.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Query { reviews: [Review!]! }
            type Review { id: ID! product: Product }
            type Product @key(fields: "upc") { upc: String! }`,
          resolvers: {
            Query: {
              reviews: () => [
                { id: 'r1', product: { upc: 'p1' } },
                { id: 'r2', product: null },
                { id: 'r3', product: { upc: 'gone' } },
                { id: 'r4', product: { upc: 'p2' } },
              ],
            },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! name: String }`,
          resolvers: { Product: { __resolveReference: productByUpc } },
        },
      ],
      operations: [
        {
          name: 'null reference and unknown entity',
          query: '{ reviews { id product { upc name } } }',
          expected: {
            data: {
              reviews: [
                { id: 'r1', product: { upc: 'p1', name: 'Table' } },
                { id: 'r2', product: null },
                { id: 'r3', product: { upc: 'gone', name: null } },
                { id: 'r4', product: { upc: 'p2', name: 'Couch' } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'entity-null-key-values',
      description: 'A nullable key field that is null in some references: those entities resolve to nothing, the others still resolve.',
      subgraphs: [
        {
          name: 'orders',
          typeDefs: `${link('key')}
            type Query { orders: [Order!]! }
            type Order { id: ID! customer: Customer }
            type Customer @key(fields: "email", resolvable: false) { email: String }`,
          resolvers: {
            Query: {
              orders: () => [
                { id: 'o1', customer: { email: 'ann@example.com' } },
                { id: 'o2', customer: { email: null } },
                { id: 'o3', customer: { email: 'bob@example.com' } },
              ],
            },
          },
        },
        {
          name: 'customers',
          typeDefs: `${link('key')}
            type Customer @key(fields: "email") { email: String name: String }`,
          resolvers: {
            Customer: {
              __resolveReference: ({ email }: { email: string | null }) =>
                email === null ? null : { email, name: ({ 'ann@example.com': 'Ann', 'bob@example.com': 'Bob' } as Record<string, string>)[email] },
            },
          },
        },
      ],
      operations: [
        {
          name: 'the null key value leaves the remote field null',
          query: '{ orders { id customer { email name } } }',
          expected: {
            data: {
              orders: [
                { id: 'o1', customer: { email: 'ann@example.com', name: 'Ann' } },
                { id: 'o2', customer: { email: null, name: null } },
                { id: 'o3', customer: { email: 'bob@example.com', name: 'Bob' } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'entity-unresolved-non-null',
      description: 'An entity its subgraph cannot find, asked for a non-null field: the null propagates to the nearest nullable parent with an error at the field.',
      gatewayDiffers: '@apollo/gateway nulls the product without any error: a non-null field missing from an entity fetch is not reported',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Query { reviews: [Review!]! }
            type Review { id: ID! product: Product }
            type Product @key(fields: "upc") { upc: String! }`,
          resolvers: {
            Query: {
              reviews: () => [
                { id: 'r1', product: { upc: 'p1' } },
                { id: 'r2', product: { upc: 'gone' } },
              ],
            },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! name: String! }`,
          resolvers: { Product: { __resolveReference: productByUpc } },
        },
      ],
      operations: [
        {
          name: 'the missing non-null name nulls the product',
          query: '{ reviews { id product { name } } }',
          expected: {
            data: { reviews: [{ id: 'r1', product: { name: 'Table' } }, { id: 'r2', product: null }] },
            errors: [{ path: ['reviews', 1, 'product', 'name'] }],
          },
        },
      ],
    },
    {
      name: 'entity-errors',
      description: 'Errors of root and entity fetches: the failing field is null, its error has the client\'s path and the subgraph\'s code, the rest of the data stays.',
      subgraphs: [
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Query { topProducts: [Product!]! product(upc: String!): Product shelf: [Product] strict: String! }
            type Product @key(fields: "upc") { upc: String! name: String! }`,
          resolvers: {
            Query: {
              topProducts: () => PRODUCTS,
              shelf: () => PRODUCTS,
              strict: () => {
                throw new GraphQLError('strict failed', { extensions: { code: 'STRICT' } });
              },
              product: (_: unknown, { upc }: { upc: string }) => {
                if (upc === 'boom') throw new GraphQLError('products are down', { extensions: { code: 'PRODUCTS_DOWN' } });
                return productByUpc({ upc });
              },
            },
            Product: { __resolveReference: productByUpc },
          },
        },
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Query { reviewCount: Int! }
            type Product @key(fields: "upc") { upc: String! reviews: [Review!] reviewCount: Int! }
            type Review { id: ID! body: String! rating: Int }`,
          resolvers: {
            Query: { reviewCount: () => 3 },
            Product: {
              reviews: ({ upc }: { upc: string }) => {
                if (upc === 'p2') throw new GraphQLError('reviews of p2 are unavailable', { extensions: { code: 'REVIEWS_UNAVAILABLE' } });
                return REVIEWS[upc] ?? [];
              },
              reviewCount: ({ upc }: { upc: string }) => {
                if (upc === 'p2') throw new GraphQLError('cannot count the reviews of p2', { extensions: { code: 'COUNT_FAILED' } });
                return REVIEWS[upc]?.length ?? 0;
              },
            },
            Review: {
              rating: ({ id }: { id: string }) => {
                if (id === 'r1') throw new GraphQLError('rating r1 is hidden', { extensions: { code: 'HIDDEN' } });
                return 4;
              },
            },
          },
        },
      ],
      operations: [
        {
          name: 'an entity field fails for one entity',
          query: '{ topProducts { name reviews { body } } }',
          expected: {
            data: {
              topProducts: [
                { name: 'Table', reviews: [{ body: 'Sturdy' }] },
                { name: 'Couch', reviews: null },
                { name: 'Chair', reviews: [] },
              ],
            },
            errors: [{ path: ['topProducts', 1, 'reviews'], code: 'REVIEWS_UNAVAILABLE', serviceName: 'reviews' }],
          },
        },
        {
          name: 'an error deep inside an entity fetch\'s lists keeps its place in the client\'s path',
          query: '{ topProducts { upc reviews { id rating } } }',
          expected: {
            data: {
              topProducts: [
                { upc: 'p1', reviews: [{ id: 'r1', rating: null }] },
                { upc: 'p2', reviews: null },
                { upc: 'p3', reviews: [] },
              ],
            },
            errors: [
              { path: ['topProducts', 0, 'reviews', 0, 'rating'], code: 'HIDDEN', serviceName: 'reviews' },
              { path: ['topProducts', 1, 'reviews'], code: 'REVIEWS_UNAVAILABLE', serviceName: 'reviews' },
            ],
          },
        },
        {
          name: 'a failed non-null entity field nulls the entity in a list of nullable items',
          query: '{ shelf { name reviewCount } }',
          expected: {
            data: { shelf: [{ name: 'Table', reviewCount: 1 }, null, { name: 'Chair', reviewCount: 0 }] },
            errors: [{ path: ['shelf', 1, 'reviewCount'], code: 'COUNT_FAILED', serviceName: 'reviews' }],
          },
        },
        {
          name: 'a non-null root field fails: no data at all, whatever the other subgraph answered',
          query: '{ reviewCount strict }',
          expected: { data: null, errors: [{ path: ['strict'], code: 'STRICT', serviceName: 'products' }] },
        },
        {
          name: 'a root field fails, the other subgraph\'s root field stays',
          query: '{ product(upc: "boom") { name reviews { body } } reviewCount }',
          expected: { data: { product: null, reviewCount: 3 }, errors: [{ path: ['product'], code: 'PRODUCTS_DOWN', serviceName: 'products' }] },
        },
      ],
    },
    {
      name: 'entity-custom-scalar-key',
      description: 'A key of a custom scalar whose values are JSON objects, lists and strings: representations carry them intact, and scalar values keep their own key order.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            scalar Ref
            type Query { items: [Item!]! }
            type Item @key(fields: "ref") { ref: Ref! name: String! meta: Ref }`,
          resolvers: {
            Query: {
              items: () => [
                { ref: { code: 'A', parts: [1, 2] }, name: 'Anvil', meta: { z: 1, a: { y: 2, b: null } } },
                { ref: 'B-7', name: 'Bolt', meta: [1, 'two', { three: 3 }] },
              ],
            },
          },
        },
        {
          name: 'prices',
          typeDefs: `${link('key')}
            scalar Ref
            type Item @key(fields: "ref") { ref: Ref! price: Int! echo: Ref }`,
          resolvers: {
            Item: {
              price: ({ ref }: { ref: unknown }) => JSON.stringify(ref).length,
              echo: ({ ref }: { ref: unknown }) => ({ received: ref }),
            },
          },
        },
      ],
      operations: [
        {
          name: 'scalar keys and values across the join',
          query: '{ items { name ref meta price echo } }',
          expected: {
            data: {
              items: [
                { name: 'Anvil', ref: { code: 'A', parts: [1, 2] }, meta: { z: 1, a: { y: 2, b: null } }, price: 26, echo: { received: { code: 'A', parts: [1, 2] } } },
                { name: 'Bolt', ref: 'B-7', meta: [1, 'two', { three: 3 }], price: 5, echo: { received: 'B-7' } },
              ],
            },
          },
        },
      ],
    },
    {
      name: 'subgraph-unavailable',
      description: 'A subgraph that answers HTTP 503: its fields are null with an error, everything the other subgraph answered stays.',
      subgraphs: [
        {
          name: 'catalog',
          typeDefs: `${link('key')}
            type Query { products: [Product!]! }
            type Product @key(fields: "upc") { upc: String! name: String! }`,
          resolvers: { Query: { products: () => PRODUCTS.slice(0, 2) } },
        },
        {
          name: 'inventory',
          typeDefs: `${link('key')}
            type Query { warehouses: [String!] }
            type Product @key(fields: "upc") { upc: String! stock: Int }`,
          unavailable: true,
        },
      ],
      operations: [
        {
          name: 'an entity field of the unavailable subgraph',
          query: '{ products { name stock } }',
          expected: { data: { products: [{ name: 'Table', stock: null }, { name: 'Couch', stock: null }] }, errors: [{ anyPath: true }] },
        },
        {
          name: 'a root field of the unavailable subgraph next to one of the other',
          query: '{ warehouses products { upc } }',
          expected: { data: { warehouses: null, products: [{ upc: 'p1' }, { upc: 'p2' }] }, errors: [{ anyPath: true }] },
        },
      ],
    },
    {
      name: 'entity-nested-lists',
      description: 'Entities inside a list of lists, with nulls at both levels: every entity is fetched once per occurrence and lands in its own place.',
      subgraphs: [
        {
          name: 'board',
          typeDefs: `${link('key')}
            type Query { grid: [[Cell]]! }
            type Cell @key(fields: "id") { id: ID! }`,
          resolvers: { Query: { grid: () => [[{ id: 'a' }, null, { id: 'b' }], null, [], [{ id: 'a' }]] } },
        },
        {
          name: 'paint',
          typeDefs: `${link('key')}
            type Cell @key(fields: "id") { id: ID! color: String! }`,
          resolvers: { Cell: { color: ({ id }: { id: string }) => (id === 'a' ? 'red' : 'blue') } },
        },
      ],
      operations: [
        {
          name: 'a remote field of every cell',
          query: '{ grid { color id } }',
          expected: { data: { grid: [[{ color: 'red', id: 'a' }, null, { color: 'blue', id: 'b' }], null, [], [{ color: 'red', id: 'a' }]] } },
        },
      ],
    },
  ],
};
