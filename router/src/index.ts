export { DEFAULT_SUPERGRAPH_PATH, loadRouterConfig } from './config.ts';
export type { RouterConfig } from './config.ts';
export { startRouter } from './router.ts';
export type { RunningRouter } from './router.ts';
export { supergraphFromFile, supergraphProblem } from './supergraph-file.ts';
