export { compose, defaultRoutingUrl, sourcesFromWorkspace } from './compose.ts';
export type { CompositionResult, SubgraphSource } from './compose.ts';
export { OWNERSHIP_PATH, SUPERGRAPH_PATH } from './paths.ts';
export { ownershipMap } from './ownership.ts';
