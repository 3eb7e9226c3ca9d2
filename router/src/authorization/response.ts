import { ErrorCode } from '@storefront/api-conventions';
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
  /**
   * The response streams its @defer parts (multipart): the initial data has none of them, and each part is
   * restored on its own (partRestorer), so a withheld non-null field nulls only its part.
   */
  streamsDeferred?: boolean;
}

/** One streamed @defer part, as the executor delivers it (deferSpec=20220824). */
export interface DeferredPart {
  data: Record<string, unknown> | null;
  path: ReadonlyArray<string | number>;
  label?: string;
}

export function unauthorizedError(message: string, path: Path): GraphQLError {
  return new GraphQLError(`Unauthorized: ${message}`, { path, extensions: { code: ErrorCode.UNAUTHORIZED } });
}

/** The response data with the removed fields restored as nulls, and one error per removed field and path. */
export function restoreRemovedFields(input: RestoreInput): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  return restorer(input).restoreRoot(input.data);
}

/**
 * Restores the removed fields of a streamed response's @defer parts, one part at a time as they arrive: made
 * once per response, so the operation's deferred fragments are found once, not again for every part.
 */
export function partRestorer(input: Omit<RestoreInput, 'data' | 'streamsDeferred'>): (part: DeferredPart) => { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const restoring = restorer({ ...input, data: undefined, streamsDeferred: true });
  return (part) => restoring.restorePart(part);
}

/** A deferred fragment of the operation: where its part lands (response keys, no list indexes) and what it selects. */
interface DeferredFragment {
  label: string | undefined;
  keys: string[];
  type: GraphQLCompositeType;
  selectionSet: SelectionSetNode;
}

function restorer({ schema, operation, fragments, variables, filtered, streamsDeferred = false }: RestoreInput) {
  let errors: GraphQLError[] = [];
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

  /** An active @defer on a fragment (not `if: false`). */
  const deferred = (node: { directives?: readonly DirectiveNode[] }): boolean => {
    const directive = node.directives?.find((candidate) => candidate.name.value === 'defer');
    if (!directive) return false;
    const argument = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    return (argument ? valueFromAST(argument, GraphQLBoolean, variableValues) : true) !== false;
  };
  const labelOf = (node: { directives?: readonly DirectiveNode[] }): string | undefined => {
    const argument = node.directives?.find((candidate) => candidate.name.value === 'defer')?.arguments?.find((a) => a.name.value === 'label')?.value;
    return argument?.kind === Kind.STRING ? argument.value : undefined;
  };

  /**
   * The fields selection sets on `scope` ask of an object of type `runtime` (of every possible type when
   * undefined), merged by response key as GraphQL execution merges them. Streamed @defer fragments are left
   * out: their fields arrive in their own parts.
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
        if (streamsDeferred && deferred(selection)) continue;
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

  let foundFragments: DeferredFragment[] | undefined;
  const deferredFragments = (): DeferredFragment[] => (foundFragments ??= findDeferredFragments());
  /** Every deferred fragment of the operation, found through fields and fragments whatever the runtime types. */
  const findDeferredFragments = (): DeferredFragment[] => {
    const found: DeferredFragment[] = [];
    const walk = (selectionSet: SelectionSetNode, type: GraphQLCompositeType, keys: string[], depth: number) => {
      // Fragments may spread each other only without cycles (validation), but stay bounded regardless.
      if (depth > 64) return;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const child = fieldType(type, selection.name.value);
          const named = child && namedOf(child);
          if (selection.selectionSet && named && isCompositeType(named)) walk(selection.selectionSet, named, [...keys, selection.alias?.value ?? selection.name.value], depth + 1);
          continue;
        }
        const body = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!body) continue;
        const conditionName = body.typeCondition?.name.value;
        const condition = conditionName ? schema.getType(conditionName) : type;
        if (!isCompositeType(condition)) continue;
        if (deferred(selection)) found.push({ label: labelOf(selection), keys, type: condition, selectionSet: body.selectionSet });
        walk(body.selectionSet, condition, keys, depth + 1);
      }
    };
    const root = schema.getRootType(operation.operation);
    if (root) walk(operation.selectionSet, root, [], 0);
    return found;
  };

  return {
    restoreRoot(data: Record<string, unknown> | null | undefined): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
      errors = [];
      const rootType = schema.getRootType(operation.operation);
      if (!rootType) return { data: data ?? null, errors };
      if (data === null || data === undefined) {
        reportUnreached([operation.selectionSet], rootType, []);
        return { data: null, errors };
      }
      const restored = completeObject([operation.selectionSet], rootType, data as JsonObject, []);
      return { data: restored, errors };
    },

    restorePart(part: DeferredPart): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
      errors = [];
      seen.clear();
      const keys = JSON.stringify(part.path.filter((step) => typeof step === 'string'));
      const matching = deferredFragments().filter((fragment) => fragment.label === part.label && JSON.stringify(fragment.keys) === keys);
      const data = part.data;
      if (matching.length === 0 || data === null) return { data, errors };
      const typename = data[TYPENAME_ALIAS] ?? data.__typename;
      const named = typeof typename === 'string' ? schema.getType(typename) : matching.map((fragment) => fragment.type).find(isObjectType);
      const selectionSets = matching.map((fragment) => fragment.selectionSet);
      if (isObjectType(named)) return { data: completeObject(selectionSets, named, data as JsonObject, part.path), errors };
      // A part on an abstract type without __typename: its removed fields, whatever the object's type.
      const restored: Record<string, unknown> = { ...data };
      for (const fragment of matching) {
        for (const [key, entry] of collect([fragment.selectionSet], fragment.type, undefined, undefined)) {
          if (!entry.removedBecause || entry.kept.length > 0 || key in restored) continue;
          report(entry.removedBecause, [...part.path, key]);
          restored[key] = null;
        }
      }
      return { data: restored, errors };
    },
  };
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
