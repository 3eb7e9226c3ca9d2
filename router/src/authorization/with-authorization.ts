import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import type { RequestContext } from '@storefront/http-host';
import type { Viewer } from '@storefront/identity';
import type { Logger } from '@storefront/telemetry';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { filterOperation, type FilteredOperation } from './filter.ts';
import type { EngineRequestContext } from '../execution/engine.ts';
import type { SubsequentPayload } from '../execution/incremental.ts';
import { partRestorer, restoreRemovedFields, type RestoreInput } from './response.ts';
import { accessRulesOf, type AccessRules } from './rules.ts';
import { accessSubject, STORE_POLICIES, type Policy } from './subject.ts';

/*
 * Router-side authorization with the federation security directives, as Apollo's router does it: before the
 * gateway plans an operation, every field and fragment the caller may not see is removed (so no subgraph is
 * called for it); after it runs, each removed field is null in the response with an UNAUTHORIZED error at its
 * path. Subgraphs keep their own checks: this is the outer of two walls, and the only one that can also keep
 * a subgraph from doing the work at all.
 */

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayLoadResult = Awaited<ReturnType<GatewayInterface['load']>>;
type GatewayExecutor = NonNullable<GatewayLoadResult['executor']>;
type GatewayRequestContext = Parameters<GatewayExecutor>[0];

export interface AuthorizationOptions {
  /** Named policies for @policy; defaults to the store's. A policy the supergraph names but no one registered is false. */
  policies?: Readonly<Record<string, Policy>>;
  logger?: Logger;
  /** How many (query, caller profile) decisions to remember. */
  cacheSize?: number;
}

/** One operation's decision for one caller profile: what to run instead, or null to run it as it is. */
interface Decision {
  filtered: FilteredOperation;
  /** The document the decision was made on: removed nodes are identified within it. */
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((operation) => operation.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/**
 * Wraps a gateway (the router's FederationEngine, or anything with the gateway interface) so each operation is
 * authorized before it is planned. Rules come from the supergraph the gateway loads, whichever it is.
 */
export function withAuthorization(gateway: GatewayInterface, options: AuthorizationOptions = {}): GatewayInterface {
  const policies = options.policies ?? STORE_POLICIES;
  const cacheSize = options.cacheSize ?? 2_000;
  let rules: AccessRules = accessRulesOf('scalar _NoRules');
  let decisions = new Map<string, Decision | null>();

  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    rules = accessRulesOf(coreSupergraphSdl);
    decisions = new Map();
    const unknown = rules.policyNames.filter((name) => !Object.hasOwn(policies, name));
    if (unknown.length) options.logger?.warn({ policies: unknown }, 'the supergraph names policies the router does not know; they deny every request');
  });

  const decide = (requestContext: GatewayRequestContext, viewer: Viewer | null) => {
    const subject = accessSubject(viewer, rules.policyNames, policies);
    const key = `${requestContext.queryHash}\0${requestContext.operationName ?? ''}\0${subject.profileKey}`;
    const known = decisions.get(key);
    if (known !== undefined) return known;
    const operation = requestContext.operation ?? operationOf(requestContext.document, requestContext.operationName);
    const filtered = operation && filterOperation(requestContext.schema, rules, subject, requestContext.document, operation);
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of requestContext.document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const decision = filtered && operation ? { filtered, operation, fragments } : null;
    // A bounded memory of decisions: the oldest goes first once full.
    if (decisions.size >= cacheSize) decisions.delete(decisions.keys().next().value as string);
    decisions.set(key, decision);
    return decision;
  };

  const wrap =
    (executor: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      if (rules.empty) return executor(requestContext);
      const viewer = (requestContext.context as Partial<RequestContext>).viewer ?? null;
      const decision = decide(requestContext, viewer);
      if (!decision) return executor(requestContext);
      const { filtered } = decision;
      // Nothing left to run (every root field removed): no plan, no subgraph call.
      const result = filtered.emptyRoot
        ? { data: {} }
        : await executor({ ...requestContext, document: filtered.document, operation: filtered.operation, queryHash: filtered.planKey });
      // Without data the request failed before execution (e.g. bad variables): nothing to restore.
      if (result.data === undefined) return result;
      const input: Omit<RestoreInput, 'data'> = {
        schema: requestContext.schema,
        operation: decision.operation,
        fragments: decision.fragments,
        variables: requestContext.request.variables ?? {},
        filtered,
      };
      // A streamed response's @defer parts come later: each is restored as it passes, within its own part.
      const delivery = (requestContext.context as EngineRequestContext).delivery;
      const parts = delivery?.incremental;
      if (delivery && parts) delivery.incremental = restoredParts(parts, input);
      const restored = restoreRemovedFields({ ...input, data: result.data, streamsDeferred: parts !== undefined });
      const errors = [...(result.errors ?? []), ...restored.errors];
      return { ...result, data: restored.data, ...(errors.length ? { errors } : {}) };
    };

  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(loadOptions): Promise<GatewayLoadResult> {
      const { executor } = await gateway.load(loadOptions);
      return { executor: executor && wrap(executor) };
    },
  };
}

/** The subsequent payloads of a streamed response, each part with its fragment's removed fields restored. */
async function* restoredParts(parts: AsyncIterable<SubsequentPayload>, input: Omit<RestoreInput, 'data'>): AsyncGenerator<SubsequentPayload> {
  const restorePart = partRestorer(input);
  for await (const payload of parts) {
    yield {
      ...payload,
      incremental: payload.incremental.map((item) => {
        const restored = restorePart(item);
        const errors = [...(item.errors ?? []), ...restored.errors.map((error) => error.toJSON())];
        return { ...item, data: restored.data, ...(errors.length ? { errors } : {}) };
      }),
    };
  }
}
