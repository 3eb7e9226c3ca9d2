import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { CostMetadata, ListSize } from './cost-directives.ts';

/*
 * A static estimate of what an operation may cost to answer, in the IBM / Apollo demand-control model:
 * every object (or interface, union) a field returns costs 1, scalars and enums cost 0, `@cost(weight:)`
 * replaces those defaults and adds for arguments, and list fields multiply their items' cost by the list's
 * size: the value of a `@listSize` slicing argument (`first`, with variables and argument defaults resolved),
 * else its `assumedSize`, else a configured default. A connection's size applies to its `edges` through
 * `sizedFields`. Fields selected on an abstract type cost the most expensive of its possible types. Root
 * mutation fields cost 10, as in the spec. Introspection fields are not counted: the depth limit bounds them,
 * and production turns introspection off.
 */

export interface CostOptions {
  /** Items assumed for a list field with no `@listSize` that says better. */
  defaultListSize: number;
}

const MUTATION_WEIGHT = 10;

/** How deep the operation's fields nest (`{ a { b } }` is 2), fragments included. */
export function operationDepth(operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>): number {
  const fragmentDepths = new Map<string, number>();
  const depthOf = (selectionSet: SelectionSetNode | undefined, visiting: Set<string>): number => {
    let deepest = 0;
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, visiting));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
      } else {
        const name = selection.name.value;
        if (visiting.has(name)) continue; // validation forbids cycles; never loop if one slips through
        let depth = fragmentDepths.get(name);
        if (depth === undefined) {
          visiting.add(name);
          depth = depthOf(fragments[name]?.selectionSet, visiting);
          visiting.delete(name);
          fragmentDepths.set(name, depth);
        }
        deepest = Math.max(deepest, depth);
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set());
}

/** The estimated cost of one (validated) operation. */
export function estimateOperationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  rawVariables: Record<string, unknown> | undefined,
  metadata: CostMetadata,
  options: CostOptions,
): number {
  // Badly typed variables fail execution with their own error; until then, estimate as if they were absent.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  const variables = coerced.coerced ?? {};
  // One (type, selection sets) pair is estimated once, so nested abstract types cannot make this exponential.
  const memo = new Map<string, number>();
  const selectionSetIds = new WeakMap<SelectionSetNode, number>();
  let nextId = 0;
  const idOf = (set: SelectionSetNode) => {
    let id = selectionSetIds.get(set);
    if (id === undefined) {
      id = nextId++;
      selectionSetIds.set(set, id);
    }
    return id;
  };

  const included = (node: SelectionNode): boolean => {
    const skip = getDirectiveValues(GraphQLSkipDirective, node, variables);
    if (skip?.if === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, variables);
    return include?.if !== false;
  };

  const applies = (condition: string | undefined, type: GraphQLObjectType): boolean => {
    if (!condition || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && conditionType !== null && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };

  /** GraphQL's CollectFields: the fields selected on a concrete type, merged by response key. */
  const collectFields = (type: GraphQLObjectType, sets: readonly SelectionSetNode[]): Map<string, FieldNode[]> => {
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const collect = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (!included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          fields.set(key, [...(fields.get(key) ?? []), selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (applies(selection.typeCondition?.name.value, type)) collect(selection.selectionSet);
        } else {
          const fragment = fragments[selection.name.value];
          if (!fragment || visited.has(fragment.name.value)) continue;
          visited.add(fragment.name.value);
          if (applies(fragment.typeCondition.name.value, type)) collect(fragment.selectionSet);
        }
      }
    };
    for (const set of sets) collect(set);
    return fields;
  };

  const metadataKey = <T>(map: ReadonlyMap<string, T>, type: GraphQLObjectType, field: string): T | undefined => {
    const own = map.get(`${type.name}.${field}`);
    if (own !== undefined) return own;
    for (const iface of type.getInterfaces()) {
      const inherited = map.get(`${iface.name}.${field}`);
      if (inherited !== undefined) return inherited;
    }
    return undefined;
  };

  const inputCost = (type: GraphQLInputType, value: unknown): number => {
    const nullable = getNullableType(type);
    if (value === null || value === undefined) return 0;
    if (isListType(nullable)) {
      return Array.isArray(value) ? value.reduce<number>((sum, item) => sum + inputCost(nullable.ofType, item), 0) : 0;
    }
    if (!isInputObjectType(nullable) || typeof value !== 'object') return 0;
    let cost = 0;
    for (const [name, field] of Object.entries(nullable.getFields())) {
      const fieldValue = (value as Record<string, unknown>)[name];
      if (fieldValue === undefined) continue;
      cost += (metadata.fieldWeights.get(`${nullable.name}.${name}`) ?? 0) + inputCost(field.type, fieldValue);
    }
    return cost;
  };

  const listSizeOf = (listSize: ListSize | undefined, args: Record<string, unknown>): number => {
    const sliced = (listSize?.slicingArguments ?? [])
      .map((name) => args[name])
      .filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
    const size = sliced.length ? Math.max(...sliced) : (listSize?.assumedSize ?? options.defaultListSize);
    return Math.max(0, size);
  };

  const fieldCost = (
    parent: GraphQLObjectType,
    definition: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    sizeFromParent: number | undefined,
    isMutationRoot: boolean,
  ): number => {
    const [node] = nodes;
    if (!node) return 0;
    let args: Record<string, unknown> = {};
    try {
      args = getArgumentValues(definition, node, variables);
    } catch {
      // Invalid argument values fail execution; estimate with none.
    }
    let argumentsCost = 0;
    for (const arg of definition.args) {
      if (args[arg.name] === undefined) continue;
      argumentsCost += (metadataKey(metadata.argumentWeights, parent, `${definition.name}(${arg.name})`) ?? 0) + inputCost(arg.type, args[arg.name]);
    }
    const named = getNamedType(definition.type);
    const fieldWeight = metadataKey(metadata.fieldWeights, parent, definition.name);
    const listSize = metadataKey(metadata.listSizes, parent, definition.name);
    let itemCost: number;
    if (isCompositeType(named)) {
      const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      const sizedChildren = new Map<string, number>();
      if (listSize?.sizedFields.length) for (const child of listSize.sizedFields) sizedChildren.set(child, listSizeOf(listSize, args));
      itemCost = selectionCost(named, sets, sizedChildren, fieldWeight ?? (isMutationRoot ? MUTATION_WEIGHT : undefined));
    } else {
      itemCost = fieldWeight ?? metadata.typeWeights.get(named.name) ?? 0;
    }
    const returnsList = isListType(getNullableType(definition.type));
    if (!returnsList) return argumentsCost + itemCost;
    // A @listSize with sizedFields sizes those children, not this field; a parent may size this one.
    const size = sizeFromParent ?? (listSize?.sizedFields.length ? options.defaultListSize : listSizeOf(listSize, args));
    return argumentsCost + size * itemCost;
  };

  const objectCost = (
    type: GraphQLObjectType,
    sets: readonly SelectionSetNode[],
    sizedChildren: ReadonlyMap<string, number>,
    isMutationRoot: boolean,
  ): number => {
    let cost = 0;
    for (const nodes of collectFields(type, sets).values()) {
      const name = nodes[0]?.name.value ?? '';
      if (name.startsWith('__')) continue;
      const definition = type.getFields()[name];
      if (!definition) continue;
      cost += fieldCost(type, definition, nodes, sizedChildren.get(name), isMutationRoot);
    }
    return cost;
  };

  /**
   * What one object returned by a field costs: its weight (the field's `@cost`, else its type's, else 1) and
   * its selections; for an abstract type, the most expensive possible type.
   */
  const selectionCost = (
    type: GraphQLCompositeType,
    sets: readonly SelectionSetNode[],
    sizedChildren: ReadonlyMap<string, number>,
    weightOverride: number | undefined,
  ): number => {
    const key = `${type.name}|${sets.map(idOf).join(',')}|${[...sizedChildren].join(',')}|${weightOverride}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const candidates: readonly GraphQLObjectType[] = isObjectType(type) ? [type] : schema.getPossibleTypes(type);
    let cost = 0;
    for (const candidate of candidates) {
      const weight = weightOverride ?? metadata.typeWeights.get(candidate.name) ?? metadata.typeWeights.get(type.name) ?? 1;
      cost = Math.max(cost, weight + objectCost(candidate, sets, sizedChildren, false));
    }
    memo.set(key, cost);
    return cost;
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  return objectCost(root, [operation.selectionSet], new Map(), operation.operation === 'mutation');
}

