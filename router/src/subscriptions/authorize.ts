import { createHash } from 'node:crypto';
import type { Viewer } from '@storefront/identity';
import { Kind, print, type DocumentNode, type FormattedExecutionResult, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { accessRulesOf, accessSubject, filterOperation, restoreRemovedFields, STORE_POLICIES, type AccessRules } from '../authorization/index.ts';

/*
 * The federation security directives for subscriptions, as router/src/authorization applies them to queries:
 * what the caller may not see is removed before planning (no subgraph is asked for it), and every event's
 * payload gets it back as null with an UNAUTHORIZED error at its path.
 */

export interface AuthorizedSubscription {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Identifies the plan of what is left (the filtered document when something was removed). */
  queryHash: string;
  /** Nothing is left to run: every root field was withheld; `finish({ data: {} })` is the whole answer. */
  empty: boolean;
  finish(result: FormattedExecutionResult): FormattedExecutionResult;
}

export class SubscriptionAuthorization {
  private rules: AccessRules = accessRulesOf('scalar _NoRules');
  private readonly hashes = new WeakMap<DocumentNode, string>();

  useSupergraph(coreSupergraphSdl: string): void {
    this.rules = accessRulesOf(coreSupergraphSdl);
  }

  authorize(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, viewer: Viewer | null): AuthorizedSubscription {
    // Documents are shared by subscriptions sending the same text (operation-acceptance.ts): hashed once.
    let queryHash = this.hashes.get(document);
    if (queryHash === undefined) this.hashes.set(document, (queryHash = createHash('sha256').update(print(document)).digest('hex')));
    const unchanged = { document, operation, queryHash, empty: false, finish: (result: FormattedExecutionResult) => result };
    if (this.rules.empty) return unchanged;
    const subject = accessSubject(viewer, this.rules.policyNames, STORE_POLICIES);
    const filtered = filterOperation(schema, this.rules, subject, document, operation);
    if (!filtered) return unchanged;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    return {
      document: filtered.document,
      operation: filtered.operation,
      queryHash: filtered.planKey,
      empty: filtered.emptyRoot,
      finish: (result) => {
        // A result without data failed before execution: nothing to put back.
        if (result.data === undefined) return result;
        const restored = restoreRemovedFields({ schema, operation, fragments, variables, filtered, data: result.data });
        const errors = [...(result.errors ?? []), ...restored.errors.map((error) => error.toJSON())];
        return { data: restored.data, ...(errors.length ? { errors } : {}) };
      },
    };
  }
}
