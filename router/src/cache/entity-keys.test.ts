import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { entityKeysOf, keyOf, objectsInResponse, stableJson } from './entity-keys.ts';
import { Lru } from './lru.ts';

const SUPERGRAPH = `
  enum join__Graph {
    CATALOG @join__graph(name: "catalog", url: "http://catalog/graphql")
    INVENTORY @join__graph(name: "inventory", url: "http://inventory/graphql")
  }
  type Product @join__type(graph: CATALOG, key: "id") @join__type(graph: CATALOG, key: "sku") @join__type(graph: INVENTORY, key: "id") { id: ID! sku: String! }
  type StockLevel @join__type(graph: INVENTORY, key: "productId warehouseId") { productId: ID! warehouseId: ID! }
  type Nested @join__type(graph: INVENTORY, key: "product { id }") { product: Product! }
`;

describe('entity keys from the supergraph', () => {
  const keys = entityKeysOf(SUPERGRAPH);

  it('lists each subgraph’s keys of each entity, compound keys as several fields, nested keys left out', () => {
    expect(keys.get('catalog.Product')).toEqual([['id'], ['sku']]);
    expect(keys.get('inventory.Product')).toEqual([['id']]);
    expect(keys.get('inventory.StockLevel')).toEqual([['productId', 'warehouseId']]);
    expect(keys.has('inventory.Nested')).toBe(false);
  });

  it('takes the first key a representation carries, and none without a complete one', () => {
    expect(keyOf(keys.get('catalog.Product'), { __typename: 'Product', sku: 'S-1', weight: 3 })).toEqual({ sku: 'S-1' });
    expect(keyOf(keys.get('inventory.StockLevel'), { productId: 'p' })).toBeUndefined();
  });

  it('writes equal values as equal JSON whatever their key order', () => {
    expect(stableJson({ b: 1, a: { d: 2, c: 3 } })).toBe(stableJson({ a: { c: 3, d: 2 }, b: 1 }));
  });
});

describe('finding entities in a mutation response', () => {
  const schema = buildSchema(`
    type Query { x: Int }
    type Mutation { updateProduct(id: ID!): Payload! }
    type Payload { product: Product related: [Purchasable!]! }
    interface Purchasable { id: ID! }
    type Product implements Purchasable { id: ID! name: String! }
    type GiftCard implements Purchasable { id: ID! }
  `);

  it('reads key fields by field name through aliases, fragments and lists; abstract types need __typename', () => {
    const document = parse(`mutation { updateProduct(id: "1") { product { productId: id ...F } related { __typename id } } } fragment F on Product { name }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const data = { updateProduct: { product: { productId: '1', name: 'Lamp' }, related: [{ __typename: 'GiftCard', id: 'g' }, { __typename: 'Product', id: '2' }] } };
    const found = objectsInResponse(schema, document, operation, data);
    expect(found).toEqual(
      expect.arrayContaining([
        { typeName: 'Product', fields: { id: '1', name: 'Lamp' } },
        { typeName: 'GiftCard', fields: { __typename: 'GiftCard', id: 'g' } },
        { typeName: 'Product', fields: { __typename: 'Product', id: '2' } },
      ]),
    );
  });
});

describe('the in-process LRU', () => {
  it('evicts the least recently used entry', () => {
    const lru = new Lru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });
});
