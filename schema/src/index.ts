export { compose, defaultRoutingUrl, sourcesFromWorkspace } from './compose.ts';
export type { CompositionResult, SubgraphSource } from './compose.ts';
export { SUPERGRAPH_PATH } from './paths.ts';
