import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { parse, visit, type DocumentNode } from 'graphql';

/**
 * Progressive @override: `@override(from: "catalog", label: "percent(50)")` moves a field to its new subgraph
 * for that share of requests. @apollo/gateway's planner understands override labels but never turns one on, so
 * every labelled field would stay with its old subgraph forever. This module decides, per request, which labels
 * are on (percent labels by a roll of the dice, other labels from configuration) and plans with that choice.
 */

const PERCENT_LABEL = /^percent\((\d+(?:\.\d+)?)\)$/;

/** The override labels a supergraph uses (`join__field(overrideLabel: ...)`). */
export function overrideLabelsOf(supergraph: string | DocumentNode): string[] {
  const labels = new Set<string>();
  visit(typeof supergraph === 'string' ? parse(supergraph) : supergraph, {
    Directive(node) {
      if (node.name.value !== 'join__field') return;
      const label = node.arguments?.find((argument) => argument.name.value === 'overrideLabel')?.value;
      if (label?.kind === 'StringValue') labels.add(label.value);
    },
  });
  return [...labels].sort();
}

/**
 * Which labels are on for one request: `percent(N)` with probability N/100, any other label when configured.
 * Returns the planner's condition map (every label present, true or false).
 */
export function chooseOverrideConditions(
  labels: readonly string[],
  enabledLabels: ReadonlySet<string>,
  random: () => number = Math.random,
): Map<string, boolean> {
  return new Map(
    labels.map((label) => {
      const percent = PERCENT_LABEL.exec(label)?.[1];
      return [label, percent === undefined ? enabledLabels.has(label) : random() * 100 < Number(percent)];
    }),
  );
}

/** The gateway contract as @apollo/server states it (the gateway package pins an older copy of the same types). */
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayLoadResult = Awaited<ReturnType<GatewayInterface['load']>>;
type GatewayExecutor = NonNullable<GatewayLoadResult['executor']>;

type PlanOptions = { overrideConditions?: Map<string, boolean> } & Record<string, unknown>;
interface QueryPlannerLike {
  buildQueryPlan(operation: unknown, options?: PlanOptions): unknown;
}

/**
 * Wraps an ApolloGateway so that every request is planned with its own override conditions. Plans are cached
 * by the gateway under the query's hash; we fold the chosen labels into that hash so a plan made with a label
 * on is never served to a request with it off.
 */
export function withProgressiveOverride(
  gateway: ApolloGateway,
  options: { enabledLabels?: ReadonlySet<string>; random?: () => number } = {},
): GatewayInterface {
  const conditions = new AsyncLocalStorage<Map<string, boolean>>();
  let labels: string[] = [];
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    labels = overrideLabelsOf(coreSupergraphSdl);
  });

  // The gateway builds a new planner for every supergraph it loads; each one plans with this request's choice.
  let planner: QueryPlannerLike | undefined;
  Object.defineProperty(gateway, 'queryPlanner', {
    configurable: true,
    get: () => planner,
    set(next: QueryPlannerLike | undefined) {
      if (!next) {
        planner = next;
        return;
      }
      const build = next.buildQueryPlan.bind(next);
      next.buildQueryPlan = (operation, planOptions) => {
        const chosen = conditions.getStore();
        return build(operation, chosen ? { ...planOptions, overrideConditions: chosen } : planOptions);
      };
      planner = next;
    },
  });

  const wrap =
    (executor: GatewayExecutor): GatewayExecutor =>
    (requestContext) => {
      if (labels.length === 0) return executor(requestContext);
      const chosen = chooseOverrideConditions(labels, options.enabledLabels ?? new Set(), options.random);
      const on = [...chosen].filter(([, value]) => value).map(([label]) => label);
      const queryHash = on.length
        ? createHash('sha256').update(requestContext.queryHash).update(`\0override:${on.join(',')}`).digest('hex')
        : requestContext.queryHash;
      return conditions.run(chosen, () => executor({ ...requestContext, queryHash }));
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
