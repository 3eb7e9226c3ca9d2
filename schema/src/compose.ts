import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { withSharedTypes } from '@storefront/api-conventions';
import { listSubgraphs, type SubgraphPackage } from '@storefront/config';
import { parse } from 'graphql';

export interface SubgraphSource {
  name: string;
  /** The routing URL written into the supergraph; the router may override it per subgraph at run time. */
  url: string;
  sdl: string;
}

export type CompositionResult = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/** Local-development routing URL of a subgraph; deployments override it (SUBGRAPH_<NAME>_URL at the router). */
export function defaultRoutingUrl(subgraph: SubgraphPackage): string {
  return `http://localhost:${subgraph.port}/graphql`;
}

export function sourcesFromWorkspace(): SubgraphSource[] {
  return listSubgraphs().map((subgraph) => ({
    name: subgraph.name,
    url: defaultRoutingUrl(subgraph),
    sdl: withSharedTypes(readFileSync(subgraph.sdlPath, 'utf8')),
  }));
}

/** Composes subgraph SDL in-process with Apollo's composition library (what `rover supergraph compose` runs). */
export function compose(sources: SubgraphSource[]): CompositionResult {
  const errors: string[] = [];
  const services = sources.flatMap((source) => {
    try {
      return [{ name: source.name, url: source.url, typeDefs: parse(source.sdl) }];
    } catch (error) {
      errors.push(`[${source.name}] ${(error as Error).message}`);
      return [];
    }
  });
  if (errors.length) return { ok: false, errors };
  const result = composeServices(services);
  if (result.errors) {
    return {
      ok: false,
      errors: result.errors.map((error) => {
        const code = (error.extensions?.code as string | undefined) ?? 'COMPOSITION_ERROR';
        return `${code}: ${error.message}`;
      }),
    };
  }
  return { ok: true, supergraphSdl: `${result.supergraphSdl.trimEnd()}\n` };
}
