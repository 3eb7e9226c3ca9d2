import { createHash } from 'node:crypto';
import { parse, visit, type DocumentNode } from 'graphql';

/**
 * Progressive @override: `@override(from: "catalog", label: "percent(50)")` moves a field to its new subgraph
 * for that share of requests. @apollo/gateway's planner understands override labels but never turns one on, so
 * every labelled field would stay with its old subgraph forever. This module decides, per request, which labels
 * are on (percent labels by a roll of the dice, other labels from configuration); the router's engine plans
 * with that choice (router/src/execution/engine.ts).
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
