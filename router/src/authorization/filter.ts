import { createHash } from 'node:crypto';
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  print,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { combine, type AccessRequirement, type AccessRules } from './rules.ts';
import { denialReason, type AccessSubject } from './subject.ts';

/*
 * Removes from an operation every field and fragment the subject may not see, before the gateway plans it, so
 * no subgraph is ever asked for them. What was removed is returned so the response can put null (and an
 * error) where each removed field would have been.
 */

/**
 * Added (under this alias) to every selection on an abstract type of a filtered operation, so the response
 * walker knows each object's concrete type; it never reaches the client.
 */
export const TYPENAME_ALIAS = '_authz_typename';

export interface FilteredOperation {
  /** The operation the gateway plans and runs. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Removed fields of the original document, with why each was removed. */
  removedFields: ReadonlyMap<FieldNode, string>;
  /** Removed fragments (inline or spread) of the original document, with why. */
  removedFragments: ReadonlyMap<InlineFragmentNode | FragmentSpreadNode, string>;
  /** True when nothing is left to run: every root field was removed. */
  emptyRoot: boolean;
  /** A hash of the filtered document, so its plan gets its own cache entry. */
  planKey: string;
}

const typenameSelection: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: TYPENAME_ALIAS },
  name: { kind: Kind.NAME, value: '__typename' },
};

/** True when a selection on an abstract type reads fields outside type conditions (__typename aside). */
function readsFieldsDirectly(selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value !== '__typename');
}

/** What a field asks for, as Apollo's router reads it: its own rules, its type's, and on interfaces each implementation's. */
function fieldRequirement(schema: GraphQLSchema, rules: AccessRules, parent: GraphQLCompositeType, field: FieldNode): AccessRequirement | undefined {
  const fieldName = field.name.value;
  if (isObjectType(parent) || isInterfaceType(parent)) {
    const definition = parent.getFields()[fieldName];
    if (!definition) return undefined;
    let requirement = combine(rules.forField(parent.name, fieldName), rules.forType(getNamedType(definition.type).name));
    // Through an interface the field may resolve on any implementation: it needs what each of them needs.
    if (isInterfaceType(parent)) {
      for (const implementation of schema.getPossibleTypes(parent)) requirement = combine(requirement, rules.forField(implementation.name, fieldName));
    }
    // A field of abstract type whose selection reads fields directly (not only behind type conditions) can
    // return any of its possible types: it needs what each needs.
    const returned = getNamedType(definition.type);
    if (isAbstractType(returned) && field.selectionSet && readsFieldsDirectly(field.selectionSet)) {
      for (const possible of schema.getPossibleTypes(returned)) requirement = combine(requirement, rules.forType(possible.name));
    }
    return requirement;
  }
  return undefined;
}

/** What a fragment's type condition asks for, when it narrows to a type with rules of its own. */
function conditionRequirement(schema: GraphQLSchema, rules: AccessRules, parent: GraphQLCompositeType, condition: GraphQLNamedType | undefined, selectionSet: SelectionSetNode): AccessRequirement | undefined {
  if (!condition || condition.name === parent.name) return undefined;
  let requirement = rules.forType(condition.name);
  if (isAbstractType(condition) && readsFieldsDirectly(selectionSet)) {
    for (const possible of schema.getPossibleTypes(condition)) requirement = combine(requirement, rules.forType(possible.name));
  }
  return requirement;
}

/**
 * The operation as `subject` may run it, or undefined when it may run all of it. Fields and fragments are
 * judged by their own position in the document (a field's rules depend only on its parent type and its
 * return type), so a named fragment is filtered once however often it is spread.
 */
export function filterOperation(
  schema: GraphQLSchema,
  rules: AccessRules,
  subject: AccessSubject,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): FilteredOperation | undefined {
  const removedFields = new Map<FieldNode, string>();
  const removedFragments = new Map<InlineFragmentNode | FragmentSpreadNode, string>();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const filteredFragments = new Map<string, FragmentDefinitionNode | null>();
  const filterFragment = (name: string): FragmentDefinitionNode | null => {
    const known = filteredFragments.get(name);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    const type = definition && schema.getType(definition.typeCondition.name.value);
    if (!definition || !isCompositeType(type)) return definition ?? null;
    filteredFragments.set(name, definition); // guards against (invalid) cycles while filtering
    const selectionSet = filterSelectionSet(definition.selectionSet, type);
    const filtered = selectionSet ? { ...definition, selectionSet } : null;
    filteredFragments.set(name, filtered);
    return filtered;
  };

  /** The selection set as the subject may run it, or null when nothing of it is left. */
  const filterSelectionSet = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): SelectionSetNode | null => {
    const kept: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const reason = denialReason(fieldRequirement(schema, rules, parent, selection), subject);
        if (reason) {
          removedFields.set(selection, `${parent.name}.${selection.name.value} ${reason}`);
          continue;
        }
        if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) {
          kept.push(selection);
          continue;
        }
        const definition = parent.getFields()[selection.name.value];
        const returned = definition && getNamedType(definition.type);
        if (!isCompositeType(returned)) {
          kept.push(selection);
          continue;
        }
        // A field whose every subfield was removed still runs (for its own null-ness), asking only __typename.
        const inner = filterSelectionSet(selection.selectionSet, returned) ?? { kind: Kind.SELECTION_SET, selections: [typenameSelection] };
        kept.push(inner === selection.selectionSet ? selection : { ...selection, selectionSet: inner });
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
      const conditionName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : fragment?.typeCondition.name.value;
      const condition = conditionName ? schema.getType(conditionName) : parent;
      if (!isCompositeType(condition)) {
        kept.push(selection);
        continue;
      }
      const innerSet = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment?.selectionSet;
      const reason = innerSet && denialReason(conditionRequirement(schema, rules, parent, condition, innerSet), subject);
      if (reason) {
        removedFragments.set(selection, `fragment on ${condition.name} ${reason}`);
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = filterSelectionSet(selection.selectionSet, condition);
        if (inner) kept.push(inner === selection.selectionSet ? selection : { ...selection, selectionSet: inner });
      } else if (filterFragment(selection.name.value)) {
        kept.push(selection);
      }
    }
    if (kept.length === 0) return null;
    if (isAbstractType(parent)) kept.push(typenameSelection);
    return { ...selectionSet, selections: kept };
  };

  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const rootSelections = filterSelectionSet(operation.selectionSet, rootType);
  if (removedFields.size === 0 && removedFragments.size === 0) return undefined;

  const filteredOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: rootSelections ?? { kind: Kind.SELECTION_SET, selections: [typenameSelection] },
  };
  const used = usedFragments(filteredOperation, (name) => filteredFragments.get(name) ?? null);
  const filteredDocument: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [filteredOperation, ...[...used].flatMap((name) => filteredFragments.get(name) ?? [])],
  };
  return {
    document: filteredDocument,
    operation: filteredOperation,
    removedFields,
    removedFragments,
    emptyRoot: rootSelections === null,
    planKey: createHash('sha256').update(print(filteredDocument)).digest('hex'),
  };
}

/** Names of the fragments an operation still spreads (transitively), so dropped ones leave no unused definition. */
function usedFragments(operation: OperationDefinitionNode, fragment: (name: string) => FragmentDefinitionNode | null): Set<string> {
  const used = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (used.has(selection.name.value)) continue;
        used.add(selection.name.value);
        const definition = fragment(selection.name.value);
        if (definition) visit(definition.selectionSet);
      } else if (selection.selectionSet) {
        visit(selection.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return used;
}
