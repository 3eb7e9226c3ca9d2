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

/** Each override label a supergraph uses, with the names of the fields it moves. */
export function overriddenFieldsOf(supergraph: string | DocumentNode): Map<string, Set<string>> {
  const fields = new Map<string, Set<string>>();
  visit(typeof supergraph === 'string' ? parse(supergraph) : supergraph, {
    FieldDefinition(field) {
      for (const directive of field.directives ?? []) {
        if (directive.name.value !== 'join__field') continue;
        const label = directive.arguments?.find((argument) => argument.name.value === 'overrideLabel')?.value;
        if (label?.kind !== 'StringValue') continue;
        fields.set(label.value, (fields.get(label.value) ?? new Set()).add(field.name.value));
      }
    },
  });
  return fields;
}

/** The override labels a supergraph uses (`join__field(overrideLabel: ...)`). */
export function overrideLabelsOf(supergraph: string | DocumentNode): string[] {
  return [...overriddenFieldsOf(supergraph).keys()].sort();
}

/**
 * The labels that can change an operation's plan: those moving a field whose name the operation selects.
 * Matching by name alone may include a label needlessly (a same-named field of another type), never miss one;
 * the others stay off, so the plan and its cache key do not depend on a coin that cannot matter.
 */
export function labelsTouchedBy(document: DocumentNode, overridden: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const selected = new Set<string>();
  visit(document, {
    Field(field) {
      selected.add(field.name.value);
    },
  });
  return [...overridden].filter(([, names]) => [...names].some((name) => selected.has(name))).map(([label]) => label).sort();
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

/** One combination of label states a request can plan with, and how it folds into the plan cache key. */
export interface OverrideVariant {
  conditions: Map<string, boolean>;
  planKey(queryHash: string): string;
}

/**
 * The plan cache key for a query under some label states: the query's own hash when every label is off,
 * otherwise that hash folded with the labels that are on.
 */
export function overridePlanKey(queryHash: string, conditions: ReadonlyMap<string, boolean>): string {
  const on = [...conditions].filter(([, value]) => value).map(([label]) => label);
  return on.length ? createHash('sha256').update(queryHash).update(`\0override:${on.join(',')}`).digest('hex') : queryHash;
}

/**
 * Every combination of label states requests can be planned with: each `percent(N)` label on or off, every
 * other label as configured. Plan-cache warming uses it to make the plans requests will look up.
 */
export function overrideVariants(labels: readonly string[], enabledLabels: ReadonlySet<string>): OverrideVariant[] {
  let combinations: Array<Map<string, boolean>> = [new Map()];
  for (const label of labels) {
    const states = PERCENT_LABEL.test(label) ? [false, true] : [enabledLabels.has(label)];
    combinations = combinations.flatMap((partial) => states.map((state) => new Map([...partial, [label, state]])));
  }
  return combinations.map((conditions) => ({ conditions, planKey: (queryHash) => overridePlanKey(queryHash, conditions) }));
}

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
  let overridden = new Map<string, Set<string>>();
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    overridden = overriddenFieldsOf(coreSupergraphSdl);
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

  // Apollo hands the same parsed document to every request with the same text, so each is walked once per supergraph.
  let touched = new WeakMap<DocumentNode, string[]>();
  gateway.onSchemaLoadOrUpdate(() => {
    touched = new WeakMap();
  });
  const touchedLabels = (document: DocumentNode): string[] => {
    let labels = touched.get(document);
    if (!labels) touched.set(document, (labels = labelsTouchedBy(document, overridden)));
    return labels;
  };

  const wrap =
    (executor: GatewayExecutor): GatewayExecutor =>
    (requestContext) => {
      if (overridden.size === 0) return executor(requestContext);
      const labels = touchedLabels(requestContext.document);
      if (labels.length === 0) return executor(requestContext);
      const chosen = chooseOverrideConditions(labels, options.enabledLabels ?? new Set(), options.random);
      const queryHash = overridePlanKey(requestContext.queryHash, chosen);
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
