import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { withSharedTypes } from '@storefront/api-conventions';
import { listSubgraphs } from '@storefront/config';
import { GraphQLScalarType, isEnumType, isInterfaceType, isObjectType, parse, type GraphQLSchema } from 'graphql';

/*
 * @apollo/subgraph silently ignores a resolver for a type or field its SDL does not have, so a renamed field
 * would fail only when a client asks for it (null, or an error for a non-null field). Every resolver of every
 * subgraph must name something its schema has.
 */

const SPECIAL = new Set(['__resolveReference', '__resolveType', '__isTypeOf']);

function strayResolvers(schema: GraphQLSchema, resolvers: Record<string, unknown>): string[] {
  const stray: string[] = [];
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!type) {
      stray.push(typeName);
      continue;
    }
    if (fields instanceof GraphQLScalarType) continue;
    for (const fieldName of Object.keys(fields as object)) {
      if (SPECIAL.has(fieldName)) continue;
      // A union has no fields; anything under it but the special resolvers is stray.
      const known = isObjectType(type) || isInterfaceType(type) ? fieldName in type.getFields() : isEnumType(type) ? type.getValue(fieldName) !== undefined : false;
      if (!known) stray.push(`${typeName}.${fieldName}`);
    }
  }
  return stray;
}

describe.each(listSubgraphs().map((subgraph) => [subgraph.name, subgraph] as const))('the %s subgraph', (_name, subgraph) => {
  it('has no resolver for a type or field its SDL lacks', async () => {
    const { resolvers } = (await import(path.join(subgraph.dir, 'src', 'resolvers.ts'))) as { resolvers: Record<string, unknown> };
    const schema = buildSubgraphSchema({ typeDefs: parse(withSharedTypes(readFileSync(subgraph.sdlPath, 'utf8'))) });
    expect(strayResolvers(schema, resolvers)).toEqual([]);
  });
});

describe('the check', () => {
  it('names a resolver for a field that is not in the schema, and one for a type that is not', () => {
    const schema = buildSubgraphSchema({ typeDefs: parse('type Query { a: Int } enum Color { RED }') });
    expect(strayResolvers(schema, { Query: { a: () => 1, b: () => 2 }, Color: { RED: 'red', BLUE: 'blue' }, Ghost: { x: () => 0 } })).toEqual(['Query.b', 'Color.BLUE', 'Ghost']);
  });
});
