import {
  isAbstractType,
  isObjectType,
  Kind,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
} from 'graphql';

/*
 * Apollo's planner adds what a fetch needs (keys, `@requires` fields, `__typename`) to the client's selection
 * by field name, under the field's own name as response key. A client response key that is also a field name
 * of its type then collides with what the planner adds: `upc: name` beside the key field `upc`, or
 * `comments(limit: 1)` beside a requirement `comments(limit: 3)`, and one silently overwrites the other.
 *
 * Before planning, such client fields get response keys of their own (the same one wherever the same field
 * with the same arguments merges); shaping reads the internal key and answers under the client's.
 */

export interface ClientKeys {
  /** The document to plan: colliding response keys replaced. */
  document: DocumentNode;
  /** Internal response key → the client's, for every key replaced. */
  clientKeyOf: ReadonlyMap<string, string>;
}

const INTROSPECTION = new Set(['__schema', '__type']);

function fieldNamesOf(schema: GraphQLSchema, type: GraphQLCompositeType): Set<string> {
  const names = new Set<string>();
  const add = (owner: GraphQLCompositeType) => {
    if ('getFields' in owner) for (const name of Object.keys(owner.getFields())) names.add(name);
  };
  add(type);
  if (isAbstractType(type)) for (const possible of schema.getPossibleTypes(type)) add(possible);
  return names;
}

function usedNames(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(document, {
    Field(node) {
      names.add(node.name.value);
      if (node.alias) names.add(node.alias.value);
    },
  });
  return names;
}

/** Whether a client field's response key can collide with a field the planner adds beside it. */
function collides(node: FieldNode, fieldNames: ReadonlySet<string>): boolean {
  const key = node.alias?.value ?? node.name.value;
  // `__proto__` is a legal alias but no JavaScript object can hold it by assignment: keep it out of the data.
  if (key === '__proto__') return true;
  if (!fieldNames.has(key) || node.name.value === '__typename') return false;
  // The field under its own name without arguments is exactly what the planner would add: they merge.
  return key !== node.name.value || (node.arguments?.length ?? 0) > 0;
}

export function protectClientKeys(schema: GraphQLSchema, document: DocumentNode): ClientKeys {
  const clientKeyOf = new Map<string, string>();
  const internalKeyOf = new Map<string, string>();
  let taken: Set<string> | undefined;
  const typeInfo = new TypeInfo(schema);
  let introspectionDepth = 0;
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          if (introspectionDepth > 0 || INTROSPECTION.has(node.name.value)) {
            introspectionDepth += 1;
            return undefined;
          }
          const parent = typeInfo.getParentType();
          if (!parent || !(isObjectType(parent) || isAbstractType(parent))) return undefined;
          if (!collides(node, fieldNamesOf(schema, parent))) return undefined;
          const key = node.alias?.value ?? node.name.value;
          // Fields that merge (same key, field and arguments) must keep one key between them.
          const identity = `${key}\0${node.name.value}\0${(node.arguments ?? []).map((argument) => print(argument)).join(',')}`;
          let internal = internalKeyOf.get(identity);
          if (!internal) {
            taken ??= usedNames(document);
            let counter = internalKeyOf.size;
            do internal = `${key}__k${counter++}`;
            while (taken.has(internal));
            taken.add(internal);
            internalKeyOf.set(identity, internal);
            clientKeyOf.set(internal, key);
          }
          return { ...node, alias: { kind: Kind.NAME, value: internal } };
        },
        leave() {
          if (introspectionDepth > 0) introspectionDepth -= 1;
        },
      },
    }),
  );
  return clientKeyOf.size ? { document: rewritten, clientKeyOf } : { document, clientKeyOf };
}

/** A response path with internal keys turned back into the client's. */
export function clientPath(path: ReadonlyArray<string | number>, clientKeyOf: ReadonlyMap<string, string>): Array<string | number> {
  return path.map((key) => (typeof key === 'string' ? (clientKeyOf.get(key) ?? key) : key));
}
