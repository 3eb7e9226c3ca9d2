import type { FetchDataRewrite, QueryPlanSelectionNode } from '@apollo/query-planner';
import { isAbstractType, isObjectType, type GraphQLSchema } from 'graphql';

/*
 * The data operations the executor does on subgraph answers: merging one into what is already there, in
 * place; selecting an entity's representation from it (`requires`); and the plan's rewrites of either.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `source` into `target`, in place: objects field by field, lists item by item, anything else replaced.
 * `__proto__` never becomes a key: a subgraph's JSON cannot change an object's prototype.
 */
export function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const key in source) {
    if (key === '__proto__') continue;
    const value = source[key];
    const existing = target[key];
    if (typeof existing === 'object' && existing !== null && typeof value === 'object' && value !== null) {
      if (Array.isArray(existing)) {
        if (Array.isArray(value)) mergeLists(existing, value);
        else target[key] = value;
      } else if (Array.isArray(value)) {
        target[key] = value;
      } else {
        mergeInto(existing as JsonObject, value as JsonObject);
      }
    } else {
      target[key] = value;
    }
  }
}

function mergeLists(target: unknown[], source: unknown[]): void {
  for (let index = 0; index < source.length; index += 1) {
    const existing = target[index];
    const value = source[index];
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value)) mergeLists(existing, value);
    else target[index] = value;
  }
}

/** Whether an object with this `__typename` is of the type `condition` names (itself, or a member of it). */
export function typeConditionHolds(schema: GraphQLSchema, typename: unknown, condition: string): boolean {
  if (typename === condition) return true;
  if (typeof typename !== 'string') return false;
  const conditionType = schema.getType(condition);
  if (!conditionType || !isAbstractType(conditionType)) return false;
  const type = schema.getType(typename);
  return !!type && (isObjectType(type) || isAbstractType(type)) && schema.isSubType(conditionType, type as never);
}

const MISSING = Symbol('missing');

function selectValue(schema: GraphQLSchema, selections: readonly QueryPlanSelectionNode[], value: unknown): unknown {
  if (value === null) return null;
  if (value === undefined) return MISSING;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index += 1) {
      const item = selectValue(schema, selections, value[index]);
      if (item === MISSING) return MISSING;
      items[index] = item;
    }
    return items;
  }
  if (!isObject(value)) return MISSING;
  const out: JsonObject = {};
  return selectInto(schema, selections, value, out) ? out : MISSING;
}

function selectInto(schema: GraphQLSchema, selections: readonly QueryPlanSelectionNode[], source: JsonObject, out: JsonObject): boolean {
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const value = source[key];
      if (value === undefined) return false;
      if (selection.selections && value !== null) {
        const selected = selectValue(schema, selection.selections, value);
        if (selected === MISSING) return false;
        out[key] = selected;
      } else {
        out[key] = value;
      }
    } else if (selection.typeCondition === undefined || typeConditionHolds(schema, source.__typename, selection.typeCondition)) {
      if (!selectInto(schema, selection.selections, source, out)) return false;
    }
  }
  return true;
}

/**
 * The representation of `entity` that a `requires` selection asks for, or undefined when the entity does not
 * have what it needs (not of a type the selection covers, or a required field is missing because the fetch
 * that provides it failed): such an entity is not sent, and its fields stay missing.
 */
export function representationOf(schema: GraphQLSchema, requires: readonly QueryPlanSelectionNode[], entity: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  let covered = false;
  for (const selection of requires) {
    if (selection.kind === 'InlineFragment') {
      if (selection.typeCondition !== undefined && !typeConditionHolds(schema, entity.__typename, selection.typeCondition)) continue;
      covered = true;
      if (!selectInto(schema, selection.selections, entity, out)) return undefined;
    } else {
      covered = true;
      if (!selectInto(schema, [selection], entity, out)) return undefined;
    }
  }
  return covered ? out : undefined;
}

type TrieNode = Map<unknown, TrieNode | number>;

/** Where a representation's position is kept, past its last key and value. */
const END = Symbol('end');
/** Where a value that is an object or a list is keyed by its JSON text, apart from any string value. */
const COMPOSITE = Symbol('composite');

function childOf(node: TrieNode, key: unknown): TrieNode {
  let child = node.get(key);
  if (typeof child !== 'object') {
    child = new Map();
    node.set(key, child);
  }
  return child;
}

/**
 * Finds representations identical to one seen before (the same keys in the same order with the same values, as
 * their JSON texts would be), so that an entity the response holds many times is sent once. A trie of Maps over
 * keys and values rather than a Map of JSON texts: a representation is found without serializing it, and one
 * seen before (every review by the same author) allocates nothing. Composite values (a key with nested fields)
 * are keyed by their JSON text.
 */
export class RepresentationIndex {
  private readonly root: TrieNode = new Map();

  /** The position recorded for an identical representation; otherwise records `position` for this one and answers undefined. */
  positionOf(representation: JsonObject, position: number): number | undefined {
    let node = this.root;
    for (const key in representation) {
      const value = representation[key];
      node = childOf(node, key);
      node = typeof value === 'object' && value !== null ? childOf(childOf(node, COMPOSITE), JSON.stringify(value)) : childOf(node, value);
    }
    const known = node.get(END);
    if (typeof known === 'number') return known;
    node.set(END, position);
    return undefined;
  }
}

const FRAGMENT_PREFIX = '... on ';

function rewriteAt(schema: GraphQLSchema, value: unknown, path: readonly string[], depth: number, apply: (object: JsonObject, key: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) rewriteAt(schema, item, path, depth, apply);
    return;
  }
  if (!isObject(value)) return;
  const element = path[depth] as string;
  if (depth === path.length - 1) {
    apply(value, element);
    return;
  }
  if (element.startsWith(FRAGMENT_PREFIX)) {
    const typename = value.__typename;
    // An object that does not say its type is taken to match (the planner only asks where it must be).
    if (typename === undefined || typeConditionHolds(schema, typename, element.slice(FRAGMENT_PREFIX.length))) rewriteAt(schema, value, path, depth + 1, apply);
    return;
  }
  rewriteAt(schema, value[element], path, depth + 1, apply);
}

/**
 * Applies the plan's rewrites to a representation or an entity: a ValueSetter sets the field the path ends in
 * (the `__typename` of an `@interfaceObject`, which the subgraph knows by its interface's name), a KeyRenamer
 * moves a field to another key (an alias the planner added to keep fields apart).
 */
export function applyRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined, value: unknown): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    if (rewrite.kind === 'ValueSetter') {
      const setValueTo: unknown = rewrite.setValueTo;
      rewriteAt(schema, value, rewrite.path, 0, (object, key) => {
        object[key] = setValueTo;
      });
    } else {
      const to = rewrite.renameKeyTo;
      rewriteAt(schema, value, rewrite.path, 0, (object, key) => {
        if (!(key in object)) return;
        object[to] = object[key];
        // Reflect.deleteProperty, not `delete object[key]`: the key is data here, and the rename must not leave it.
        Reflect.deleteProperty(object, key);
      });
    }
  }
}
