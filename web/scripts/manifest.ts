import { createHash } from 'node:crypto';
import path from 'node:path';
import { print } from '@apollo/client/utilities';
import { REPO_ROOT } from '@storefront/config';
import { SESSION_OPERATIONS } from '../../router/src/session/operations.ts';
import { type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import { createCache } from '../src/cache.ts';

export const MANIFEST_PATH = path.join(REPO_ROOT, 'web', 'persisted-queries.json');
const GENERATED = path.join(REPO_ROOT, 'web', 'src', 'generated', 'gql', 'graphql.ts');

export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function operationOf(document: DocumentNode): OperationDefinitionNode | undefined {
  return document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
}

/**
 * Every operation the web app can send, as Apollo Client sends it: the generated document after the cache's
 * transform (which adds __typename) printed by Apollo's printer, with the SHA-256 its PersistedQueryLink
 * computes; and the session endpoint's operations, verbatim. Apollo's manifest format, sorted by name.
 */
export async function buildManifest(): Promise<PersistedQueryManifest> {
  const generated = (await import(GENERATED)) as Record<string, unknown>;
  const cache = createCache();
  const operations: ManifestOperation[] = [];
  for (const value of Object.values(generated)) {
    if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== 'Document') continue;
    const document = value as DocumentNode;
    const operation = operationOf(document);
    if (!operation?.name) continue;
    const body = print(cache.transformDocument(document));
    operations.push({ id: sha256(body), name: operation.name.value, type: operation.operation, body });
  }
  for (const session of Object.values(SESSION_OPERATIONS)) {
    operations.push({ id: sha256(session.query), name: session.name, type: 'mutation', body: session.query });
  }
  operations.sort((a, b) => a.name.localeCompare(b.name));
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** The consumer-driven contract: each operation must validate against the supergraph's API schema. */
export function contractProblems(manifest: PersistedQueryManifest, schema: GraphQLSchema): string[] {
  return manifest.operations.flatMap((operation) =>
    validate(schema, parse(operation.body), specifiedRules).map((error) => `${operation.name}: ${error.message}`),
  );
}
