import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode } from '@storefront/api-conventions';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { NO_COST_METADATA, type CostMetadata } from './cost-directives.ts';
import { estimateOperationCost, operationDepth } from './operation-cost.ts';

export interface QueryLimits {
  /** Operations whose estimated cost is above this are refused; 0 turns the cost limit off. */
  maxCost: number;
  /** Operations whose fields nest deeper than this are refused; 0 turns the depth limit off. */
  maxDepth: number;
  /** Items assumed for a list field without `@listSize`. */
  defaultListSize: number;
  /**
   * Whether the cost limit also applies to a supergraph with no `@cost` or `@listSize` at all. Off by default:
   * such a supergraph says nothing about its list sizes, so every list would be guessed at `defaultListSize`
   * and a foreign supergraph's ordinary nested query refused; the depth limit still holds.
   */
  costWithoutHints: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxCost: 5_000, maxDepth: 15, defaultListSize: 10, costWithoutHints: false };

function hasCostHints(metadata: CostMetadata): boolean {
  return metadata.listSizes.size > 0 || metadata.fieldWeights.size > 0 || metadata.typeWeights.size > 0 || metadata.argumentWeights.size > 0;
}

/** How many distinct (operation, variables) estimates each supergraph's memo keeps. */
const MEMO_ENTRIES = 2_000;

/**
 * Estimates per supergraph (its cost metadata object), by operation text, name and variables: storefronts send
 * the same few operations over and over, so walking each one once is enough. One memo per plugin, since the
 * limits (default list size) are part of the answer.
 */
function memoized(memos: WeakMap<CostMetadata, Map<string, number>>, metadata: CostMetadata, key: string, estimate: () => number): number {
  let memo = memos.get(metadata);
  if (!memo) memos.set(metadata, (memo = new Map()));
  let cost = memo.get(key);
  if (cost === undefined) {
    cost = estimate();
    // Oldest first out once full: a bounded memory, whatever clients send.
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    memo.set(key, cost);
  }
  return cost;
}

const refusal = (message: string, code: ErrorCode, details: Record<string, unknown>) =>
  new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });

/** What a depth and cost check reads of one operation. */
export interface CheckedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's text, as sent (part of the estimate's memo key). */
  source: string | undefined;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | undefined;
}

/** The refusal of an operation too deep or estimated too expensive, or undefined when it is within the limits. */
export type QueryLimitCheck = (checked: CheckedOperation) => GraphQLError | undefined;

/**
 * The depth check first (cheap, and it bounds the cost estimate's own work), then the cost estimate. Queries
 * (queryLimitsPlugin) and subscriptions (router/src/subscriptions) are checked by the same function.
 * `metadata` is read per operation, so a hot-reloaded supergraph's `@cost` / `@listSize` take effect with it.
 */
export function queryLimitCheck(limits: QueryLimits, metadata: () => CostMetadata = () => NO_COST_METADATA): QueryLimitCheck {
  const memos = new WeakMap<CostMetadata, Map<string, number>>();
  return ({ schema, document, operation, source, operationName, variables }) => {
    if (!limits.maxCost && !limits.maxDepth) return undefined;
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    }
    if (limits.maxDepth) {
      const depth = operationDepth(operation, fragments);
      if (depth > limits.maxDepth) {
        return refusal(`The operation nests ${depth} levels deep; at most ${limits.maxDepth} are allowed`, ErrorCode.QUERY_TOO_DEEP, {
          depth,
          maxDepth: limits.maxDepth,
        });
      }
    }
    const costMetadata = metadata();
    if (limits.maxCost && (limits.costWithoutHints || hasCostHints(costMetadata))) {
      const key = `${source}\0${operationName ?? ''}\0${JSON.stringify(variables ?? {})}`;
      const estimated = memoized(memos, costMetadata, key, () => estimateOperationCost(schema, operation, fragments, variables, costMetadata, limits));
      if (estimated > limits.maxCost) {
        return refusal(
          `The operation's estimated cost is ${estimated}, above the limit of ${limits.maxCost}; ask for fewer items (smaller \`first\`) or fewer nested lists`,
          ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
          { cost: { estimated, max: limits.maxCost } },
        );
      }
    }
    return undefined;
  };
}

/**
 * Refuses operations that are too deep or estimated too expensive, after validation and before the gateway
 * plans or calls anything (HTTP 400, with the estimate in `extensions`).
 */
export function queryLimitsPlugin<Context extends BaseContext>(limits: QueryLimits, metadata: () => CostMetadata = () => NO_COST_METADATA): ApolloServerPlugin<Context> {
  const check = queryLimitCheck(limits, metadata);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, source }) {
          // Apollo resolves the operation before this hook; without one, execution reports the problem.
          if (!operation) return;
          const refused = check({ schema, document, operation, source, operationName: request.operationName, variables: request.variables });
          if (refused) throw refused;
        },
      };
    },
  };
}
