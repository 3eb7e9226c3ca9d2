import {
  Kind,
  parse,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type FieldDefinitionNode,
} from 'graphql';

/*
 * The access rules a supergraph declares with the federation security directives, read from its core SDL
 * (the API schema the gateway serves has them stripped):
 *
 *   @authenticated                                  only signed-in requests
 *   @requiresScopes(scopes: [["a", "b"], ["c"]])    (a AND b) OR c
 *   @policy(policies: [["p", "q"], ["r"]])          (p AND q) OR r, each policy evaluated by the router
 *
 * on a field (that field) or on an object, interface, scalar or enum (every field returning that type, and
 * every fragment on it), as Apollo's router reads them.
 */

/** "Outer list OR, inner list AND", the shape of @requiresScopes and @policy arguments. */
export type Alternatives = readonly (readonly string[])[];

/** Everything one schema element asks for; several directives on it must all hold. */
export interface AccessRequirement {
  authenticated: boolean;
  scopes: readonly Alternatives[];
  policies: readonly Alternatives[];
}

export interface AccessRules {
  /** True when the supergraph declares no requirement at all, so requests need no analysis. */
  readonly empty: boolean;
  /** Every policy name the supergraph mentions (each is evaluated once per request). */
  readonly policyNames: readonly string[];
  forType(typeName: string): AccessRequirement | undefined;
  forField(typeName: string, fieldName: string): AccessRequirement | undefined;
}

const SPECS = {
  authenticated: /^https:\/\/specs\.apollo\.dev\/authenticated\/v\d+\.\d+$/,
  requiresScopes: /^https:\/\/specs\.apollo\.dev\/requiresScopes\/v\d+\.\d+$/,
  policy: /^https:\/\/specs\.apollo\.dev\/policy\/v\d+\.\d+$/,
} as const;
type Spec = keyof typeof SPECS;

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** The name each security spec's directive has in this supergraph (`@link(..., as: "auth")` renames it). */
function directiveNames(document: DocumentNode): Map<string, Spec> {
  const names = new Map<string, Spec>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link' && directive.name.value !== 'core') continue;
      const url = stringArgument(directive, 'url') ?? stringArgument(directive, 'feature');
      if (!url) continue;
      for (const spec of Object.keys(SPECS) as Spec[]) {
        if (SPECS[spec].test(url)) names.set(stringArgument(directive, 'as') ?? spec, spec);
      }
    }
  }
  return names;
}

/** `[["a", "b"], ["c"]]` as nested string lists; a bare list or string is read leniently as one alternative. */
function alternatives(value: ConstValueNode | undefined): Alternatives {
  if (!value) return [];
  const strings = (node: ConstValueNode): string[] =>
    node.kind === Kind.STRING ? [node.value] : node.kind === Kind.LIST ? node.values.flatMap(strings) : [];
  if (value.kind !== Kind.LIST) return [strings(value)];
  return value.values.map(strings);
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, names: Map<string, Spec>): AccessRequirement | undefined {
  let authenticated = false;
  const scopes: Alternatives[] = [];
  const policies: Alternatives[] = [];
  for (const directive of directives ?? []) {
    const spec = names.get(directive.name.value);
    const argument = (name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
    if (spec === 'authenticated') authenticated = true;
    else if (spec === 'requiresScopes') scopes.push(alternatives(argument('scopes')));
    else if (spec === 'policy') policies.push(alternatives(argument('policies')));
  }
  return authenticated || scopes.length || policies.length ? { authenticated, scopes, policies } : undefined;
}

/** Both requirements at once (for a field whose type also has rules, or a type declared in several places). */
export function combine(a: AccessRequirement | undefined, b: AccessRequirement | undefined): AccessRequirement | undefined {
  if (!a) return b;
  if (!b) return a;
  return { authenticated: a.authenticated || b.authenticated, scopes: [...a.scopes, ...b.scopes], policies: [...a.policies, ...b.policies] };
}

/** Reads the access rules of a supergraph (its core SDL, as `onSchemaLoadOrUpdate` hands it over). */
export function accessRulesOf(supergraphSdl: string | DocumentNode): AccessRules {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const names = directiveNames(document);
  const types = new Map<string, AccessRequirement>();
  const fields = new Map<string, Map<string, AccessRequirement>>();
  const policyNames = new Set<string>();
  const remember = (requirement: AccessRequirement | undefined) => {
    for (const set of requirement?.policies ?? []) for (const group of set) for (const policy of group) policyNames.add(policy);
    return requirement;
  };

  if (names.size > 0) {
    for (const definition of document.definitions) {
      switch (definition.kind) {
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.OBJECT_TYPE_EXTENSION:
        case Kind.INTERFACE_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_EXTENSION:
        case Kind.SCALAR_TYPE_DEFINITION:
        case Kind.SCALAR_TYPE_EXTENSION:
        case Kind.ENUM_TYPE_DEFINITION:
        case Kind.ENUM_TYPE_EXTENSION: {
          const typeName = definition.name.value;
          const onType = remember(requirementOf(definition.directives, names));
          const merged = combine(types.get(typeName), onType);
          if (merged) types.set(typeName, merged);
          const fieldDefinitions: readonly FieldDefinitionNode[] =
            definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
            definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
            definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
            definition.kind === Kind.INTERFACE_TYPE_EXTENSION
              ? (definition.fields ?? [])
              : [];
          for (const field of fieldDefinitions) {
            const onField = remember(requirementOf(field.directives, names));
            if (!onField) continue;
            const ofType = fields.get(typeName) ?? new Map<string, AccessRequirement>();
            ofType.set(field.name.value, combine(ofType.get(field.name.value), onField) ?? onField);
            fields.set(typeName, ofType);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  return {
    empty: types.size === 0 && fields.size === 0,
    policyNames: [...policyNames].sort(),
    forType: (typeName) => types.get(typeName),
    forField: (typeName, fieldName) => fields.get(typeName)?.get(fieldName),
  };
}
