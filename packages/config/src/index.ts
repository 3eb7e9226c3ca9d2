export { ConfigError, envBoolean, envLogLevel, envNodeEnv, envPort, httpProcessEnv, loadConfig } from './config.ts';
export { envRedisClusterNodes, type RedisClusterNode } from './redis-cluster-nodes.ts';
export { envPrefix, listSubgraphs, REPO_ROOT, subgraphPackage } from './workspace.ts';
export type { SubgraphPackage } from './workspace.ts';
