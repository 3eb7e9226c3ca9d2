import { ErrorCode } from '@storefront/common';
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLString,
  GraphQLNonNull,
  isAbstractType,
  isCompositeType,
  isInputType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  valueFromAST,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { TYPENAME_ALIAS, type FilteredOperation } from './filter.ts';

/*
 * Puts the removed fields back into the response as null, each with an UNAUTHORIZED error at its path, the
 * way GraphQL execution would have answered had the field's resolver failed: a removed non-null field nulls
 * its nearest nullable parent. The walk follows the ORIGINAL operation over the data the filtered one produced.
 *
 * Errors name concrete response paths, one per object the removed field would have been read from (a field
 * under a list of 20 gets 20 errors, with list indexes). Where no such object exists (its parent is null or
 * an empty list) the field still gets one error, at its path through the query without list indexes, so a
 * client always learns what was withheld. Apollo's router reports query paths only; this is a superset.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Path = readonly (string | number)[];

/** The walk's verdict on a value in a non-null position that must become null. */
const INVALID = Symbol('invalid');

interface Collected {
  fieldName: string;
  /** The type the field was selected on (a fragment's condition, or the enclosing selection's type). */
  parent: GraphQLCompositeType;
  /** Field nodes the filtered operation still ran under this response key. */
  kept: FieldNode[];
  /** Why the field was removed, if any of its nodes was. */
  removedBecause: string | undefined;
}

export interface RestoreInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  filtered: FilteredOperation;
  data: Record<string, unknown> | null | undefined;
}

export function unauthorizedError(message: string, path: Path): GraphQLError {
  return new GraphQLError(`Unauthorized: ${message}`, { path, extensions: { code: ErrorCode.UNAUTHORIZED } });
}

/** The response data with the removed fields restored as nulls, and one error per removed field and path. */
export function restoreRemovedFields({ schema, operation, fragments, variables, filtered, data }: RestoreInput): {
  data: Record<string, unknown> | null;
  errors: GraphQLError[];
} {
  const errors: GraphQLError[] = [];
  const seen = new Set<string>();
  const report = (message: string, path: Path) => {
    const key = `${JSON.stringify(path)}\0${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    errors.push(unauthorizedError(message, path));
  };

  const variableValues = variablesWithDefaults(schema, operation, variables);
  /** @skip and @include, with this request's variables. */
  const included = (node: { directives?: readonly DirectiveNode[] }): boolean => {
    for (const directive of node.directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const argument = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const value: unknown = argument ? valueFromAST(argument, GraphQLBoolean, variableValues) : undefined;
      if (name === 'skip' && value === true) return false;
      if (name === 'include' && value === false) return false;
    }
    return true;
  };

  /**
   * The fields selection sets on `scope` ask of an object of type `runtime` (of every possible type when
   * undefined), merged by response key as GraphQL execution merges them.
   */
  const collect = (
    selectionSets: readonly SelectionSetNode[],
    scope: GraphQLCompositeType,
    runtime: GraphQLObjectType | undefined,
    removedAbove: string | undefined,
    into = new Map<string, Collected>(),
  ) => {
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (!included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const entry = into.get(key) ?? { fieldName: selection.name.value, parent: scope, kept: [], removedBecause: undefined };
          const removedBecause = removedAbove ?? filtered.removedFields.get(selection);
          if (removedBecause) entry.removedBecause ??= removedBecause;
          else entry.kept.push(selection);
          into.set(key, entry);
          continue;
        }
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
        const body = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragment;
        if (!body) continue;
        const conditionName = body.typeCondition?.name.value;
        const condition = conditionName ? schema.getType(conditionName) : scope;
        if (!isCompositeType(condition)) continue;
        if (runtime && !(condition === runtime || (isAbstractType(condition) && schema.isSubType(condition, runtime)))) continue;
        const removed = removedAbove ?? filtered.removedFragments.get(selection);
        collect([body.selectionSet], condition, runtime, removed, into);
      }
    }
    return into;
  };

  /** Errors for removed fields below a position the data does not reach (null parent, empty list). */
  const reportUnreached = (selectionSets: readonly SelectionSetNode[], type: GraphQLOutputType, path: Path) => {
    const named = namedOf(type);
    if (!isCompositeType(named)) return;
    for (const [key, entry] of collect(selectionSets, named, undefined, undefined)) {
      if (entry.removedBecause && entry.kept.length === 0) {
        report(entry.removedBecause, [...path, key]);
        continue;
      }
      const childType = fieldType(entry.parent, entry.fieldName);
      const childSets = entry.kept.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      if (childType && childSets.length) reportUnreached(childSets, childType, [...path, key]);
    }
  };

  const completeObject = (selectionSets: readonly SelectionSetNode[], type: GraphQLObjectType, object: JsonObject, path: Path): JsonObject | null => {
    const result: JsonObject = {};
    let nulled = false;
    for (const [key, entry] of collect(selectionSets, type, type, undefined)) {
      const childType = fieldType(type, entry.fieldName);
      if (!(key in object)) {
        if (!entry.removedBecause) continue;
        report(entry.removedBecause, [...path, key]);
        result[key] = null;
        if (childType && isNonNullType(childType)) nulled = true;
        continue;
      }
      const value = object[key] as Json;
      const childSets = entry.kept.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      if (!childType || childSets.length === 0) {
        result[key] = value;
        continue;
      }
      const completed = completeValue(childSets, childType, value, [...path, key]);
      if (completed === INVALID) nulled = true;
      result[key] = completed === INVALID ? null : completed;
    }
    return nulled ? null : result;
  };

  const completeValue = (selectionSets: readonly SelectionSetNode[], type: GraphQLOutputType, value: Json, path: Path): Json | typeof INVALID => {
    if (isNonNullType(type)) {
      const inner = completeValue(selectionSets, type.ofType, value, path);
      return inner === null ? INVALID : inner;
    }
    if (value === null) {
      reportUnreached(selectionSets, type, path);
      return null;
    }
    if (isListType(type)) {
      if (!Array.isArray(value)) return value;
      if (value.length === 0) reportUnreached(selectionSets, type.ofType, path);
      const items = value.map((item, index) => completeValue(selectionSets, type.ofType, item, [...path, index]));
      return items.includes(INVALID) ? null : (items as Json[]);
    }
    if (isLeafType(type) || typeof value !== 'object' || Array.isArray(value)) return value;
    const typename = value[TYPENAME_ALIAS] ?? value.__typename;
    const runtime = isAbstractType(type) ? (typeof typename === 'string' ? schema.getType(typename) : undefined) : type;
    if (!isObjectType(runtime)) return value;
    return completeObject(selectionSets, runtime, value, path);
  };

  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return { data: data ?? null, errors };
  if (data === null || data === undefined) {
    reportUnreached([operation.selectionSet], rootType, []);
    return { data: null, errors };
  }
  const restored = completeObject([operation.selectionSet], rootType, data as JsonObject, []);
  return { data: restored, errors };
}

function namedOf(type: GraphQLOutputType) {
  let named: GraphQLOutputType = type;
  while (isNonNullType(named) || isListType(named)) named = named.ofType;
  return named;
}

function fieldType(parent: GraphQLCompositeType, fieldName: string): GraphQLOutputType | undefined {
  if (fieldName === '__typename') return new GraphQLNonNull(GraphQLString);
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[fieldName]?.type : undefined;
}

/** Raw request variables, with each definition's default where the request gave none. */
function variablesWithDefaults(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const values: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (values[name] !== undefined || !definition.defaultValue) continue;
    const type = typeFromAST(schema, definition.type);
    if (isInputType(type)) values[name] = valueFromAST(definition.defaultValue, type);
  }
  return values;
}
