import { Kind, parse, print, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FieldNode, type GraphQLSchema } from 'graphql';

/*
 * Two fields of one selection that `@requires` the same field with different arguments (`usdLabel` needs
 * `price(currency: "USD")`, `eurLabel` needs `price(currency: "EUR")`) cannot be planned together: a
 * representation has one `price`, and Apollo's planner keeps only one of the two. Such an operation is
 * split into one document per argument set, each planned and run on its own; their answers are merged
 * before shaping, so the client gets one response with each field computed from its own requirement.
 */

/** For each `Type.field`, the fields its `@requires` selects at the top, with their arguments printed. */
export type Requirements = ReadonlyMap<string, ReadonlyArray<{ name: string; arguments: string }>>;

function stringArgument(node: { arguments?: ReadonlyArray<{ name: { value: string }; value: { kind: string; value?: unknown } }> }, name: string): string | undefined {
  const value = node.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING && typeof value.value === 'string' ? value.value : undefined;
}

export function requirementsOf(coreSupergraphSdl: string): Requirements {
  const requirements = new Map<string, Array<{ name: string; arguments: string }>>();
  const collect = (typeName: string, fields: ReadonlyArray<{ name: { value: string }; directives?: readonly unknown[] }> | undefined) => {
    for (const field of fields ?? []) {
      for (const directive of (field.directives ?? []) as Array<{ name: { value: string }; arguments?: never }>) {
        if (directive.name.value !== 'join__field') continue;
        const requires = stringArgument(directive, 'requires');
        if (!requires) continue;
        const selection = parse(`{ ${requires} }`, { noLocation: true }).definitions[0];
        if (selection?.kind !== Kind.OPERATION_DEFINITION) continue;
        const top = selection.selectionSet.selections.flatMap((node) =>
          node.kind === Kind.FIELD ? [{ name: node.name.value, arguments: (node.arguments ?? []).map((argument) => print(argument)).sort().join(',') }] : [],
        );
        if (top.some((entry) => entry.arguments)) requirements.set(`${typeName}.${field.name.value}`, top);
      }
    }
  };
  visit(parse(coreSupergraphSdl, { noLocation: true }), {
    ObjectTypeDefinition(type) {
      collect(type.name.value, type.fields);
    },
    InterfaceTypeDefinition(type) {
      collect(type.name.value, type.fields);
    },
  });
  return requirements;
}

/** The groups of client fields in one selection set that must not be planned together, if any. */
function firstConflict(schema: GraphQLSchema, document: DocumentNode, requirements: Requirements): FieldNode[][] | undefined {
  let found: FieldNode[][] | undefined;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(selectionSet) {
        if (found) return false;
        const parent = typeInfo.getParentType();
        if (!parent) return undefined;
        // required field name → argument set → the client fields that need it so.
        const byRequirement = new Map<string, Map<string, FieldNode[]>>();
        for (const selection of selectionSet.selections) {
          if (selection.kind !== Kind.FIELD) continue;
          for (const required of requirements.get(`${parent.name}.${selection.name.value}`) ?? []) {
            const byArguments = byRequirement.get(required.name) ?? new Map<string, FieldNode[]>();
            byArguments.set(required.arguments, [...(byArguments.get(required.arguments) ?? []), selection]);
            byRequirement.set(required.name, byArguments);
          }
        }
        for (const byArguments of byRequirement.values()) {
          if (byArguments.size > 1) {
            found = [...byArguments.values()];
            return false;
          }
        }
        return undefined;
      },
    }),
  );
  return found;
}

/** Documents that together select what `document` does, none with conflicting requirements; undefined when it has none. */
export function splitConflictingRequirements(schema: GraphQLSchema, document: DocumentNode, requirements: Requirements, depth = 0): DocumentNode[] | undefined {
  if (requirements.size === 0 || depth > 4) return undefined;
  const groups = firstConflict(schema, document, requirements);
  if (!groups) return undefined;
  const documents = groups.map((keep) => {
    const drop = new Set(groups.filter((group) => group !== keep).flat());
    return visit(document, { Field: (node) => (drop.has(node) ? null : undefined) });
  });
  return documents.flatMap((part) => splitConflictingRequirements(schema, part, requirements, depth + 1) ?? [part]);
}
