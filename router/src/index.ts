export { DEFAULT_SUPERGRAPH_PATH, loadRouterConfig } from './config.ts';
export type { RouterConfig } from './config.ts';
export { startRouter } from './router.ts';
export type { RunningRouter } from './router.ts';
export { supergraphFromFile, supergraphProblem } from './supergraph-file.ts';
export { CACHING_OFF, ENTITY_INVALIDATION_CHANNEL } from './cache/index.ts';
export type { CacheConfig, CacheCounters, EntityRef } from './cache/index.ts';
export { accessRulesOf, STORE_POLICIES, withAuthorization, withRouterEnforcedSecurity } from './authorization/index.ts';
export type { AccessRules, AuthorizationOptions, Policy } from './authorization/index.ts';
