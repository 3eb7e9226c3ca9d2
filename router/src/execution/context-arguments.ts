import type { FetchDataKeyRenamer, FetchNode } from '@apollo/query-planner';
import { Kind, parse, print, visit, type FieldNode, type GraphQLSchema, type OperationDefinitionNode, type VariableDefinitionNode } from 'graphql';
import { isObject, typeConditionHolds, type JsonObject } from './data.ts';

/*
 * @fromContext arguments (federation 2.8). The planner marks a fetch whose fields take an argument from a
 * context with `contextRewrites`: for each contextual variable, paths from the entity up to the ancestor that
 * sets the context (`..` per level, `... on T` to check its type) and down to the value. The value differs per
 * entity (each transaction priced in its own user's currency), while a variable has one value per request; so
 * entities are grouped by their values, and one request carries one aliased `_entities` per group, each with
 * its own representations and variables. One call, whatever the number of distinct values.
 */

/** Where each group's `_entities` answer is in the subgraph's data. */
export const groupAlias = (group: number) => `_${group}`;
const groupVariable = (name: string, group: number) => `${name}_${group}`;

/**
 * The value one rewrite path leads to from an entity, given its ancestors (the objects from the response's
 * root down to the entity itself; lists are not ancestors): undefined when the path does not apply to it.
 */
export function contextValueAt(schema: GraphQLSchema, ancestors: readonly JsonObject[], path: readonly string[]): unknown {
  let level = ancestors.length - 1;
  let value: unknown = ancestors[level];
  for (const step of path) {
    if (step === '..') {
      level -= 1;
      if (level < 0) return undefined;
      value = ancestors[level];
    } else if (step.startsWith('... on ')) {
      // An object without __typename was selected without one: the planner asks for it wherever types can differ.
      if (!isObject(value) || ('__typename' in value && !typeConditionHolds(schema, value.__typename, step.slice(7).trim()))) return undefined;
    } else {
      if (!isObject(value)) return undefined;
      value = value[step];
      if (value === undefined) return undefined;
    }
  }
  return value;
}

/** The contextual variables of a fetch, each with the paths that may fill it (the first that applies wins). */
export function contextVariablesOf(rewrites: readonly FetchDataKeyRenamer[]): Map<string, string[][]> {
  const variables = new Map<string, string[][]>();
  for (const rewrite of rewrites) {
    const paths = variables.get(rewrite.renameKeyTo) ?? [];
    paths.push(rewrite.path);
    variables.set(rewrite.renameKeyTo, paths);
  }
  return variables;
}

/** The values of the contextual variables for one entity; a variable no path reaches is left out (null). */
export function contextValuesFor(schema: GraphQLSchema, variables: ReadonlyMap<string, string[][]>, ancestors: readonly JsonObject[]): JsonObject {
  const values: JsonObject = {};
  for (const [name, paths] of variables) {
    for (const path of paths) {
      const value = contextValueAt(schema, ancestors, path);
      if (value !== undefined) {
        values[name] = value;
        break;
      }
    }
  }
  return values;
}

const groupedOperations = new WeakMap<FetchNode, Map<number, string>>();

/**
 * The fetch's operation with its `_entities` repeated once per group, aliased `_0`, `_1`…, each reading its own
 * `$representations_<n>` and contextual variables `$<name>_<n>`; the other variables are shared. Cached with the plan.
 */
export function groupedOperation(node: FetchNode, contextVariables: ReadonlySet<string>, groups: number): string {
  let byCount = groupedOperations.get(node);
  if (!byCount) groupedOperations.set(node, (byCount = new Map()));
  const cached = byCount.get(groups);
  if (cached) return cached;

  const perGroup = new Set([...contextVariables, 'representations']);
  const document = parse(node.operation, { noLocation: true });
  const rewritten = visit(document, {
    OperationDefinition(operation: OperationDefinitionNode): OperationDefinitionNode {
      const variableDefinitions: VariableDefinitionNode[] = [];
      for (const definition of operation.variableDefinitions ?? []) {
        const name = definition.variable.name.value;
        if (!perGroup.has(name)) {
          variableDefinitions.push(definition);
          continue;
        }
        for (let group = 0; group < groups; group += 1) {
          variableDefinitions.push({ ...definition, variable: { ...definition.variable, name: { kind: Kind.NAME, value: groupVariable(name, group) } } });
        }
      }
      const selections = operation.selectionSet.selections.flatMap((selection) => {
        if (selection.kind !== Kind.FIELD || selection.name.value !== '_entities') return [selection];
        return Array.from({ length: groups }, (_, group) =>
          visit(
            { ...selection, alias: { kind: Kind.NAME, value: groupAlias(group) } },
            { Variable: (variable) => (perGroup.has(variable.name.value) ? { ...variable, name: { kind: Kind.NAME, value: groupVariable(variable.name.value, group) } } : undefined) },
          ) as FieldNode,
        );
      });
      return { ...operation, variableDefinitions, selectionSet: { ...operation.selectionSet, selections } };
    },
  });
  const text = print(rewritten);
  byCount.set(groups, text);
  return text;
}

/** The variables of group `group`: its representations and contextual values, under that group's names. */
export function groupVariables(group: number, representations: readonly JsonObject[], values: JsonObject): JsonObject {
  const variables: JsonObject = { [groupVariable('representations', group)]: representations };
  for (const [name, value] of Object.entries(values)) variables[groupVariable(name, group)] = value;
  return variables;
}
