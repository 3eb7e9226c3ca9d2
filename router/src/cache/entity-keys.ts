import {
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  parse,
  visit,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** JSON with object keys sorted, so equal values always give the same text (and the same cache key). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * The `@key`s of every entity, per subgraph, read from the supergraph (`@join__type(graph:, key:)`):
 * `keys.get("catalog.Product")` → `[["id"], ["sku"]]`. Keys with nested selections (`product { id }`) are left
 * out: entities known only by such a key are not cached.
 */
export function entityKeysOf(coreSupergraphSdl: string): Map<string, string[][]> {
  const document = parse(coreSupergraphSdl);
  const graphNames = new Map<string, string>();
  visit(document, {
    EnumValueDefinition(node) {
      const graph = node.directives?.find((directive) => directive.name.value === 'join__graph');
      const name = graph?.arguments?.find((argument) => argument.name.value === 'name')?.value;
      if (name?.kind === Kind.STRING) graphNames.set(node.name.value, name.value);
    },
  });
  const keys = new Map<string, string[][]>();
  const collect = (typeName: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const graph = directive.arguments?.find((argument) => argument.name.value === 'graph')?.value;
      const key = directive.arguments?.find((argument) => argument.name.value === 'key')?.value;
      if (graph?.kind !== Kind.ENUM || key?.kind !== Kind.STRING) continue;
      const subgraph = graphNames.get(graph.value);
      if (!subgraph || key.value.includes('{')) continue;
      const entry = `${subgraph}.${typeName}`;
      keys.set(entry, [...(keys.get(entry) ?? []), key.value.split(/[\s,]+/).filter(Boolean)]);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      collect(definition.name.value, definition.directives);
    }
  }
  return keys;
}

/** The first key whose fields all have a scalar value in `fields`, as `{ field: value }`, or undefined. */
export function keyOf(keySets: readonly string[][] | undefined, fields: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const keySet of keySets ?? []) {
    if (keySet.every((field) => fields[field] !== undefined && fields[field] !== null && typeof fields[field] !== 'object')) {
      return Object.fromEntries(keySet.map((field) => [field, fields[field]]));
    }
  }
  return undefined;
}

/**
 * Every object in a response, with its type and the values of its argument-less fields by field name (not
 * alias): what invalidation needs to find entities a mutation returned. Objects of abstract types are
 * typed by `__typename` when the client selected it.
 */
export function objectsInResponse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  data: Record<string, unknown>,
): Array<{ typeName: string; fields: Record<string, unknown> }> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const found = new Map<object, { typeName: string | undefined; fields: Record<string, unknown> }>();

  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(selectionSet, parentType, item);
      return;
    }
    const object = value as Record<string, unknown>;
    let entry = found.get(object);
    if (!entry) {
      const typename = typeof object.__typename === 'string' ? object.__typename : undefined;
      entry = { typeName: typename ?? (isObjectType(parentType) ? parentType.name : undefined), fields: {} };
      found.set(object, entry);
    }
    const record = entry;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        if (!selection.arguments?.length) record.fields[selection.name.value] = object[responseKey];
        if (!selection.selectionSet) continue;
        // Unions have no fields of their own; their members are reached through fragments.
        const fieldType = 'getFields' in parentType ? parentType.getFields()[selection.name.value]?.type : undefined;
        const named = fieldType ? getNamedType(fieldType) : undefined;
        if (named && isCompositeType(named)) walk(selection.selectionSet, named, object[responseKey]);
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
        if (condition && isCompositeType(condition)) walk(fragment.selectionSet, condition, object);
      }
    }
  };

  const root = schema.getRootType(operation.operation);
  if (root) walk(operation.selectionSet, root, data);
  return [...found.values()].flatMap(({ typeName, fields }) => (typeName ? [{ typeName, fields }] : []));
}
