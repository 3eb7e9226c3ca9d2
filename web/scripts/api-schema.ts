import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { REPO_ROOT } from '@storefront/config';
import { SUPERGRAPH_PATH } from '@storefront/schema';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';

/** Where the API schema the web app is typed against is committed. */
export const API_SCHEMA_PATH = path.join(REPO_ROOT, 'web', 'schema.graphql');

/**
 * The API schema clients see: the composed supergraph without its join/link machinery and without
 * @inaccessible elements, with @defer. This, not any one subgraph, is what the web app's operations must
 * validate against.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema({ includeDefer: true });
}

export function committedApiSchema(path = SUPERGRAPH_PATH): GraphQLSchema {
  return apiSchemaOf(readFileSync(path, 'utf8'));
}

export function printApiSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema));
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(printApiSchema(committedApiSchema()));
