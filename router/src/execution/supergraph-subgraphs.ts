import { Kind, parse, visit } from 'graphql';

/**
 * The subgraphs a supergraph names (`join__Graph` values' `@join__graph(name:, url:)`), by the name the
 * planner's fetches use, with the routing URL the supergraph gives (possibly empty: a router setting supplies it).
 */
export function subgraphsOf(coreSupergraphSdl: string): Map<string, string> {
  const subgraphs = new Map<string, string>();
  visit(parse(coreSupergraphSdl, { noLocation: true }), {
    EnumValueDefinition(value) {
      const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
      if (!directive) return;
      const argument = (name: string) => {
        const found = directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
        return found?.kind === Kind.STRING ? found.value : undefined;
      };
      const name = argument('name');
      if (name) subgraphs.set(name, argument('url') ?? '');
    },
  });
  return subgraphs;
}
