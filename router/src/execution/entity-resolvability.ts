import type { PlanNode } from '@apollo/query-planner';
import { Kind, parse, visit, type ConstDirectiveNode } from 'graphql';

/*
 * Which subgraph can resolve which entity type: a `@join__type(graph:, key:)` whose key is not
 * `resolvable: false`. Apollo's planner can send `_entities` to a subgraph that only names the type with a
 * non-resolvable key (composition lets it through when a `@requires` asks for it there); the subgraph then
 * answers a silent null. A plan with such a fetch is refused instead: the selection cannot be resolved.
 */

export interface EntityResolvability {
  /** Whether `subgraph` has a resolvable key for `type` (or for an interface of it it knows as @interfaceObject). */
  resolvable(subgraph: string, type: string): boolean;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
}

function booleanArgument(directive: ConstDirectiveNode, name: string): boolean | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.BOOLEAN ? value.value : undefined;
}

export function entityResolvabilityOf(coreSupergraphSdl: string): EntityResolvability {
  const graphNames = new Map<string, string>();
  const resolvableKeys = new Map<string, Set<string>>();
  const interfacesOf = new Map<string, string[]>();
  const typeDirectives = (typeName: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const graph = stringArgument(directive, 'graph');
      if (!graph || !stringArgument(directive, 'key') || booleanArgument(directive, 'resolvable') === false) continue;
      const types = resolvableKeys.get(graph) ?? new Set<string>();
      types.add(typeName);
      resolvableKeys.set(graph, types);
    }
  };
  visit(parse(coreSupergraphSdl, { noLocation: true }), {
    EnumValueDefinition(value) {
      const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
      const name = directive && stringArgument(directive, 'name');
      if (name) graphNames.set(name, value.name.value);
    },
    ObjectTypeDefinition(type) {
      typeDirectives(type.name.value, type.directives);
      interfacesOf.set(type.name.value, (type.interfaces ?? []).map((named) => named.name.value));
    },
    InterfaceTypeDefinition(type) {
      typeDirectives(type.name.value, type.directives);
    },
  });
  return {
    resolvable(subgraph, type) {
      const graph = graphNames.get(subgraph);
      const types = graph ? resolvableKeys.get(graph) : undefined;
      if (!types) return false;
      return types.has(type) || (interfacesOf.get(type) ?? []).some((name) => types.has(name));
    },
  };
}

/** The first entity fetch of a plan that goes to a subgraph unable to resolve its entities, described. */
export function unresolvableFetchIn(node: PlanNode | undefined, entities: EntityResolvability): string | undefined {
  if (!node) return undefined;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      for (const child of node.nodes) {
        const found = unresolvableFetchIn(child, entities);
        if (found) return found;
      }
      return undefined;
    case 'Flatten':
      return unresolvableFetchIn(node.node, entities);
    case 'Condition':
      return unresolvableFetchIn(node.ifClause, entities) ?? unresolvableFetchIn(node.elseClause, entities);
    case 'Defer':
      return unresolvableFetchIn(node.primary.node, entities) ?? node.deferred.map((deferred) => unresolvableFetchIn(deferred.node, entities)).find(Boolean);
    case 'Fetch':
      for (const selection of node.requires ?? []) {
        if (selection.kind !== 'InlineFragment' || !selection.typeCondition) continue;
        if (!entities.resolvable(node.serviceName, selection.typeCondition)) {
          return `subgraph ${node.serviceName} has no resolvable key for ${selection.typeCondition}`;
        }
      }
      return undefined;
  }
}
