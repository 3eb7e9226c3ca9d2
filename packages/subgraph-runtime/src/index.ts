export { declaredSubgraph, defineSubgraph } from './define-subgraph.ts';
export type { Subgraph, SubgraphModule, SubgraphScope } from './define-subgraph.ts';
export { startPrismaSubgraph, TRANSACTION_DEFAULTS } from './prisma-subgraph.ts';
export type { PrismaSubgraph, RunningSubgraph } from './prisma-subgraph.ts';
export { loadSubgraphConfig } from './subgraph-config.ts';
export type { SubgraphConfig } from './subgraph-config.ts';
export { serveSubgraph, subgraphProcessConfig, subgraphProcessEnv } from './subgraph-host.ts';
export type { GraphQLResolverMap, SubgraphDefinition, SubgraphHttpConfig, SubgraphResolvers } from './subgraph-host.ts';
